"""Frames 0-600 of the README's street video with the default's boxes (orange, rotation-aware)
and the same weights' with the rotation off (green). Boxes from
``eqtrack track ../shared/data/videos/vtest.avi --box 640,238,46,84 --boxes ON.txt`` and the
same with ``--set tracking.rotation_aware=false --boxes OFF.txt``.
usage: python vtest_sheet.py ON.txt OFF.txt OUT.jpg"""
import sys

import cv2
import numpy as np

on, off = (np.loadtxt(p, delimiter=",") for p in sys.argv[1:3])
cap = cv2.VideoCapture("../shared/data/videos/vtest.avi")
want, tiles, i = [0, 100, 200, 300, 400, 600], [], 0
while len(tiles) < len(want):
    ok, frame = cap.read()
    if not ok:
        break
    if i in want:
        for (x, y, w, h), colour in ((on[i], (0, 165, 255)), (off[i], (0, 255, 0))):
            cv2.rectangle(frame, (int(x), int(y)), (int(x + w), int(y + h)), colour, 2)
        cv2.putText(frame, str(i), (10, 30), 0, 1, (255, 255, 255), 2)
        tiles.append(cv2.resize(frame, (384, 288)))
    i += 1
sheet = np.vstack([np.hstack(tiles[k:k + 3]) for k in (0, 3)])
cv2.imwrite(sys.argv[3], sheet, [cv2.IMWRITE_JPEG_QUALITY, 85])
