# the generated turning card of tests/test_orientation.py (2 degrees a frame, 80 in all) with
# the default and the given overrides: end angle, max / mean error, ms a frame
# usage: .venv/bin/python runs/angle_issue17/upright/card.py [tracking.K=V ...]
import sys, time
import numpy as np
sys.path.insert(0, "tests")
from test_orientation import TURNING, angle_error
from tracker.data.synthetic import generate_sequence
from tracker.inference.build import build_tracker
seq = generate_sequence(TURNING, seed=3)
ov = sys.argv[1:]
t = build_tracker(checkpoint="default", overrides=ov)
t.init(seq.frames[0], seq.boxes[0])
true = seq.rotated[:, 4] - seq.rotated[0, 4]
errs = []
t0 = time.perf_counter()
for f, a in zip(seq.frames[1:], true[1:]):
    t.update(f); errs.append(float(angle_error(t.angle, a)))
print(ov, "end %.1f of %.1f, max err %.1f, mean %.1f, track %.1f, adv %.3f, %.1f ms" % (t.angle, true[-1], max(errs), np.mean(errs), t.turn_track, getattr(t,'upright_advantage',0), 1000*(time.perf_counter()-t0)/40))
