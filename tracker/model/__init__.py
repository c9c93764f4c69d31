"""The model wing: :class:`~tracker.model.siamese.SiameseNet` (a backbone plug shared by the
template and search branches, and a head) and the heads, each owning its training targets, its
loss and what it proposes (:mod:`tracker.model.xcorr`, :mod:`tracker.model.rpn`); networks are
built from configs and checkpoints by :mod:`tracker.model.build`."""
