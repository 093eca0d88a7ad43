#!/usr/bin/env python3
"""crimecast's forecast metrics against scikit-learn (Debian python3-sklearn) on random
maps with many ties (small integer counts, rounded forecasts, sparse maps as at 150 m):
ROC AUC, average precision and F1 of the hotspots (top 10% with tied cells sharing the
cut, or occurrence) through sklearn's sample weights, every cell entered as a positive of
weight w and a negative of weight 1 - w; MSE, MAE and mean Poisson deviance with numpy;
hit rate / PAI / PEI recomputed here from their definitions.

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
for c in range(90):
    n = int(rng.integers(10, 400))
    # A third of the maps sparse as a 150 m grid is (0.05-0.4 crimes a cell, most cells
    # empty): there the hotspots and the flagged cells are decided by ties.
    rate = rng.uniform(0.05, 0.4) if c % 3 == 0 else rng.uniform(0.1, 3.0)
    y = rng.poisson(rate, size=n).astype(np.float32)
    p = (y * rng.uniform(0, 1.2) + rng.gamma(1.0, 1.0, size=n)).astype(np.float32)
    if rng.uniform() < 0.4:
        p = np.round(p).astype(np.float32)  # many tied scores
    if c % 9 == 0:
        p = np.roll(y, 1)  # persistence-like: integer counts, mostly zero
    if c % 15 == 4:
        y = np.zeros(n, np.float32)  # no crime in this bin (a day of a rare category)
    label = int(c % 2)  # 0: top 10%, 1: occurrence
    cases.append((y, p, label))
text = "".join("%d %d\n%s\n%s\n" % (len(y), label, " ".join("%r" % float(v) for v in y),
                                      " ".join("%r" % float(v) for v in p))
               for y, p, label in cases) + "0 0\n"
out = subprocess.run([PROBE], input=text, capture_output=True, text=True, check=True).stdout.split("\n")

def round_half_up(x):
    """crimecast rounds halves up (C's lround); Python's round() would round them to even."""
    return int(math.floor(x + 0.5))


def top_share(v, a):
    """Each cell's part in the top a cells of v, the cells tied at the cut sharing its
    remaining places equally: the expected membership over all orders of the tie."""
    v = np.asarray(v, dtype=float)
    share = np.zeros(len(v))
    above = 0
    for value in sorted(set(v.tolist()), reverse=True):
        tied = v == value
        g = int(tied.sum())
        room = a - above
        if room <= 0:
            break
        share[tied] = min(1.0, room / g)
        above += g
    return share


def split(weight):
    """Every cell twice: as a positive of weight w and as a negative of weight 1 - w."""
    return np.concatenate([np.ones(len(weight)), np.zeros(len(weight))]), np.concatenate([weight, 1 - weight])

failures = 0
def close(name, got, want, tol=1e-6):
    global failures
    if (math.isnan(want) and math.isnan(got)) or abs(got - want) <= tol * max(1.0, abs(want)):
        return
    failures += 1
    print("FAIL %s: crimecast %r, reference %r" % (name, got, want))

for c, ((y, p, label), line) in enumerate(zip(cases, out)):
    got = [float(v) for v in line.split()]
    n = len(y)
    # top 10%: no hotspot on a map with no crime (AUC, AP and F1 undefined, as hit rate is)
    weight = (y >= 1).astype(float) if label else top_share(y, round_half_up(0.10 * n)) if y.sum() > 0 else np.zeros(n)
    for i in range(n):
        close("case %d hotspot weight of cell %d" % (c, i), got[26 + i], weight[i], 1e-9)
    yd, pd = y.astype(float), p.astype(float)
    close("case %d mse" % c, got[0], float(np.mean((pd - yd) ** 2)))
    close("case %d mae" % c, got[1], float(np.mean(np.abs(pd - yd))))
    pp = np.maximum(pd, 1e-9)
    dev = 2 * (np.where(yd > 0, yd * np.log(np.where(yd > 0, yd, 1) / pp), 0) - (yd - pp))
    close("case %d deviance" % c, got[2], float(np.mean(dev)))
    classes, sample_weight = split(weight)
    scores = np.concatenate([p, p])
    both = weight.sum() > 1e-9 and (1 - weight).sum() > 1e-9
    close("case %d auc" % c, got[3],
          roc_auc_score(classes, scores, sample_weight=sample_weight) if both else float("nan"))
    close("case %d ap" % c, got[4],
          average_precision_score(classes, scores, sample_weight=sample_weight) if weight.sum() else float("nan"))
    # F1 of the forecast's top k cells, k the hotspots' weight: each cell as four pieces
    # (hotspot or not) x (flagged or not) weighted by the product of the two shares.
    k = weight.sum()
    flag = top_share(p, k)
    pieces_true = np.concatenate([np.ones(n), np.ones(n), np.zeros(n), np.zeros(n)])
    pieces_pred = np.concatenate([np.ones(n), np.zeros(n), np.ones(n), np.zeros(n)])
    pieces_weight = np.concatenate([weight * flag, weight * (1 - flag), (1 - weight) * flag, (1 - weight) * (1 - flag)])
    close("case %d f1" % c, got[5],
          f1_score(pieces_true, pieces_pred, sample_weight=pieces_weight) if k else float("nan"))
    total = yd.sum()
    for t, pct in enumerate((1, 5, 10)):
        a = min(n, max(1, round_half_up(pct / 100 * n)))
        caught = float((top_share(p, a) * yd).sum())
        best = float(np.sort(yd)[::-1][:a].sum())
        close("case %d hit@%d" % (c, pct), got[6 + t], caught / total if total else float("nan"))
        close("case %d pai@%d" % (c, pct), got[9 + t], (caught / total) / (a / n) if total else float("nan"))
        close("case %d pei@%d" % (c, pct), got[12 + t], caught / best if best else float("nan"))

    # The sampled ROC curve: scikit-learn's vertices, joined linearly, the highest
    # true-positive rate where the curve is vertical.
    if both:
        fpr, tpr, _ = roc_curve(classes, scores, sample_weight=sample_weight, drop_intermediate=False)
        for s_, f in enumerate(np.linspace(0, 1, 11)):
            want = max(t0 + (t1 - t0) * (f - f0) / (f1 - f0) if f1 > f0 else t1
                       for f0, t0, f1, t1 in zip(fpr[:-1], tpr[:-1], fpr[1:], tpr[1:]) if f0 <= f <= f1)
            close("case %d roc tpr at fpr %.1f" % (c, f), got[15 + s_], want)
    else:
        close("case %d roc undefined" % c, got[15], float("nan"))

print("%d cases, %d failed checks" % (len(cases), failures))
sys.exit(1 if failures else 0)
