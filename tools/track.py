"""Track one target through a video, a folder of frames or a glob of images.

Runs ``eqtrack track`` from a checkout; the code and its help live in
tracker/commands/track.py.
"""
import sys

from tracker.commands.track import main

if __name__ == "__main__":
    sys.exit(main())
