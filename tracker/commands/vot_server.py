"""Serve one of our trackers (or a baseline) over TraX, so the VOT challenge's toolkit can run it.

    python -m tracker.commands.vot_server --tracker NAME [--rotated] [--set tracking.K=V]

The toolkit starts this process and talks TraX on its stdin/stdout (logging goes to stderr).
It sends rectangles or polygons (0-based pixel coordinates) and image paths; a polygon becomes
the axis-aligned box of the same area and centre, as VOT's own conversion does. The answer is a
rectangle, or with ``--rotated`` our tracker's rotated box as a polygon (its angle estimate on).
A ``trackers.ini`` entry::

    [eqtrack]
    label = eqtrack
    protocol = trax
    command = /path/to/.venv/bin/python -m tracker.commands.vot_server --tracker default
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from tracker.commands.common import add_backend_argument, entry, setup_logging
from tracker.errors import InputError


def _box(region, trax) -> np.ndarray:
    """``[x, y, w, h]`` of a TraX rectangle or polygon."""
    from tracker.boxes import polygon_to_xywh

    if region.type == trax.Region.POLYGON:
        points = [region.get(i) for i in range(region.size())]
        return polygon_to_xywh(np.asarray(points, dtype=np.float64).reshape(-1), keep_area=True)
    return np.asarray(region.bounds(), dtype=np.float64)


@entry
def main(argv=None) -> int:
    from tracker.evaluation.trackers import tracker_from_spec
    from tracker.video import read_image

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog="example: python -m tracker.commands.vot_server "
                                       "--tracker default",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tracker", default="default",
                   help="shipped model, checkpoint, config or baseline (default: default)")
    p.add_argument("--rotated", action="store_true",
                   help="answer the rotated box as a polygon (estimates the angle)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="tracking.KEY=VALUE for our trackers (repeatable)")
    add_backend_argument(p)
    args = p.parse_args(argv)
    setup_logging()
    try:
        import trax
    except ImportError:
        raise InputError("the TraX server needs vot-trax: pip install 'eqtrack[vot]'") from None
    rotation = ["tracking.estimate_rotation=true"] if args.rotated else []
    tracker = tracker_from_spec(args.tracker, [*args.overrides, *rotation], args.backend)
    if args.rotated and not hasattr(type(tracker), "polygon"):
        raise InputError(f"--rotated: {args.tracker} answers axis-aligned boxes only")
    with trax.Server([trax.Region.RECTANGLE, trax.Region.POLYGON], [trax.Image.PATH],
                     tracker_name=tracker.name) as server:
        while True:
            request = server.wait()
            if request.type in (trax.TraxStatus.QUIT, trax.TraxStatus.ERROR):
                return 0
            path = request.image["color"].path()
            image = read_image(path)
            if image is None:
                raise InputError(f"frame '{path}' cannot be decoded")
            if request.type == trax.TraxStatus.INITIALIZE:
                region = request.objects[0][0]
                tracker.init(image, _box(region, trax))
            else:
                box = tracker.update(image)
                if args.rotated:
                    region = trax.Polygon.create(
                        [tuple(map(float, pt)) for pt in np.reshape(tracker.polygon, (4, 2))])
                else:
                    region = trax.Rectangle.create(*map(float, box))
            server.status([(region, {})])


if __name__ == "__main__":
    sys.exit(main())
