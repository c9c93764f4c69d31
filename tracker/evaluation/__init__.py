"""The evaluation wing: got10k experiments and their box protocol, benchmarks, EAO, reports,
baselines (OpenCV trackers), the tracker a user names, angle, speed and tuning benchmarks."""
