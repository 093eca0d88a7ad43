#!/usr/bin/env python3
"""crimecast's forecast metrics against scikit-learn (Debian python3-sklearn) on random
maps with many ties (small integer counts, rounded forecasts): ROC AUC, average
precision and F1 of the top-k hotspots, plus MSE, MAE and mean Poisson deviance with
numpy, and hit rate / PAI / PEI recomputed here from their definitions.

usage: metrics_test.py METRICS_PROBE
"""
import math
import subprocess
import sys

import numpy as np
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score, roc_curve

PROBE = sys.argv[1]
rng = np.random.default_rng(11)
cases = []
for _ in range(60):
    n = int(rng.integers(10, 400))
    y = rng.poisson(rng.uniform(0.1, 3.0), size=n).astype(np.float32)
    p = (y * rng.uniform(0, 1.2) + rng.gamma(1.0, 1.0, size=n)).astype(np.float32)
    if rng.uniform() < 0.4:
        p = np.round(p).astype(np.float32)  # many tied scores
    cases.append((y, p))
text = "".join("%d\n%s\n%s\n" % (len(y), " ".join("%r" % float(v) for v in y), " ".join("%r" % float(v) for v in p))
               for y, p in cases) + "0\n"
out = subprocess.run([PROBE], input=text, capture_output=True, text=True, check=True).stdout.split("\n")

def round_half_up(x):
    """crimecast rounds halves up (C's lround); Python's round() would round them to even."""
    return int(math.floor(x + 0.5))


def order(v):
    """Highest first, ties by lower index."""
    return sorted(range(len(v)), key=lambda i: (-float(v[i]), i))

failures = 0
def close(name, got, want, tol=1e-6):
    global failures
    if (math.isnan(want) and math.isnan(got)) or abs(got - want) <= tol * max(1.0, abs(want)):
        return
    failures += 1
    print("FAIL %s: crimecast %r, reference %r" % (name, got, want))

for c, ((y, p), line) in enumerate(zip(cases, out)):
    got = [float(v) for v in line.split()]
    n = len(y)
    k = round_half_up(0.10 * n)
    labels = np.zeros(n, dtype=int)
    labels[order(y)[:k]] = 1
    flagged = np.zeros(n, dtype=int)
    flagged[order(p)[:k]] = 1
    yd, pd = y.astype(float), p.astype(float)
    close("case %d mse" % c, got[0], float(np.mean((pd - yd) ** 2)))
    close("case %d mae" % c, got[1], float(np.mean(np.abs(pd - yd))))
    pp = np.maximum(pd, 1e-9)
    dev = 2 * (np.where(yd > 0, yd * np.log(np.where(yd > 0, yd, 1) / pp), 0) - (yd - pp))
    close("case %d deviance" % c, got[2], float(np.mean(dev)))
    both = 0 < labels.sum() < n
    close("case %d auc" % c, got[3], roc_auc_score(labels, p) if both else float("nan"))
    close("case %d ap" % c, got[4], average_precision_score(labels, p) if labels.sum() else float("nan"))
    close("case %d f1" % c, got[5], f1_score(labels, flagged) if k else float("nan"))
    total = yd.sum()
    for t, pct in enumerate((1, 5, 10)):
        a = min(n, max(1, round_half_up(pct / 100 * n)))
        caught, best = yd[order(p)[:a]].sum(), yd[order(y)[:a]].sum()
        close("case %d hit@%d" % (c, pct), got[6 + t], caught / total if total else float("nan"))
        close("case %d pai@%d" % (c, pct), got[9 + t], (caught / total) / (a / n) if total else float("nan"))
        close("case %d pei@%d" % (c, pct), got[12 + t], caught / best if best else float("nan"))

    # The sampled ROC curve: scikit-learn's vertices, joined linearly, the highest
    # true-positive rate where the curve is vertical.
    if both:
        fpr, tpr, _ = roc_curve(labels, p, drop_intermediate=False)
        for s_, f in enumerate(np.linspace(0, 1, 11)):
            want = max(t0 + (t1 - t0) * (f - f0) / (f1 - f0) if f1 > f0 else t1
                       for f0, t0, f1, t1 in zip(fpr[:-1], tpr[:-1], fpr[1:], tpr[1:]) if f0 <= f <= f1)
            close("case %d roc tpr at fpr %.1f" % (c, f), got[15 + s_], want)
    else:
        close("case %d roc undefined" % c, got[15], float("nan"))

print("%d cases, %d failed checks" % (len(cases), failures))
sys.exit(1 if failures else 0)
