"""The inference wing: frames -> crops -> runtime (backbone, head) -> boxes.

:class:`~tracker.inference.base.SiameseTracker` holds the state every tracker shares; one search
strategy per head kind (:mod:`tracker.inference.siamfc`, :mod:`tracker.inference.siamrpn`);
:mod:`tracker.inference.build` picks the one the model's head names. The network runs in a
runtime (:mod:`tracker.inference.runtime`); videos and cameras are run by
:mod:`tracker.inference.runner`."""
