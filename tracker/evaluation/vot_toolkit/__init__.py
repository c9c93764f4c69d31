"""The VOT challenge's own toolkit (``vot-toolkit``) running our trackers over TraX.

The toolkit lives in an environment of its own (it pulls ``opencv-python``, which would shadow
our OpenCV build with its contrib trackers); our side needs only ``vot-trax``
(``pip install 'eqtrack[vot]'``) for :mod:`tracker.commands.vot_server`.
:mod:`~tracker.evaluation.vot_toolkit.workspace` writes an offline workspace (sequences, stack,
trackers.ini) and reads the toolkit's analysis; :mod:`~tracker.evaluation.vot_toolkit.supervised`
is imported by the toolkit's process, never by ours.
"""
