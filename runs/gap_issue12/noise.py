"""How far apart two trackers' mean AUCs can be by chance: for each pair of trackers in a
report's per_sequence.csv, the mean, standard deviation and standard error of their
per-sequence success-AUC differences.

    python runs/gap_issue12/noise.py REPORT_DIR/per_sequence.csv [...]
"""
import csv
import statistics
import sys
from collections import defaultdict
from itertools import combinations

for path in sys.argv[1:]:
    auc = defaultdict(dict)
    for row in csv.DictReader(open(path)):
        auc[row["tracker"]][row["sequence"]] = float(row["success_auc"])
    for a, b in combinations(sorted(auc), 2):
        d = [auc[a][s] - auc[b][s] for s in auc[a] if s in auc[b]]
        sd = statistics.stdev(d)
        print(f"{path}: {a} - {b}: n={len(d)} mean {statistics.mean(d):+.3f} "
              f"sd {sd:.3f} se {sd / len(d) ** 0.5:.3f}")
