#!/usr/bin/env python3
"""crimecast's random-forest baseline (XGBoost, random-forest mode) against
scikit-learn's RandomForestRegressor trained on the same feature matrix, exported by
crimecast (same number of trees, depth, and sqrt(p)/p features per split). Both forests
forecast the test span of a synthetic tensor with stable hotspots, weekly seasonality
and noise; their hotspot AUCs (per bin, as crimecast eval computes them, via
scikit-learn's roc_auc_score here) must agree within 0.02.

usage: rf_test.py CRIMECAST
"""
import math
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
from sklearn.ensemble import RandomForestRegressor

from synthetic_tensor import hotspot_auc, write_tensor

CRIMECAST = sys.argv[1]
T, C, H, W = 160, 2, 16, 16


def mean_auc(truth, pred):
    return float(np.mean([hotspot_auc(truth[b], pred[b]) for b in range(truth.shape[0])]))


def main():
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:H, 0:W]
    base = 0.3 + 6 * np.exp(-((yy - 4) ** 2 + (xx - 11) ** 2) / 6) + 4 * np.exp(-((yy - 11) ** 2 + (xx - 4) ** 2) / 10)
    season = 1 + 0.4 * np.sin(2 * np.pi * np.arange(T) / 52)
    counts = np.zeros((T, C, H, W), dtype=np.float32)
    counts[:, 0] = rng.poisson(base[None] * season[:, None, None])
    counts[:, 1] = rng.binomial(counts[:, 0].astype(int), 0.3)
    mask = np.ones((H, W), dtype=np.uint8)
    mask[0, :3] = 0
    with tempfile.TemporaryDirectory() as tmp:
        tensor, forecast, prefix = (os.path.join(tmp, n) for n in ("t.h5", "rf.h5", "features"))
        write_tensor(tensor, counts, mask, ["all", "burglary"], created_by="rf_test.py")
        p = subprocess.run([CRIMECAST, "baseline", "--method", "rf", "--data", tensor, "--out", forecast, "--trees", "100",
                            "--depth", "10", "--seed", "1", "--threads", "2", "--export-features", prefix],
                           capture_output=True, text=True)
        if p.returncode != 0:
            print("FAIL: crimecast baseline rf exited %d: %s" % (p.returncode, p.stderr))
            return 1
        train = np.genfromtxt(prefix + "_train.csv", delimiter=",", names=True)
        test = np.genfromtxt(prefix + "_test.csv", delimiter=",", names=True)
        features = [n for n in train.dtype.names if n not in ("target", "bin", "cell")]
        X = np.array([train[n] for n in features]).T
        Xt = np.array([test[n] for n in features]).T
        # scikit-learn 1.2's forests take no missing values: crimecast leaves "a year
        # earlier" missing when there is none; fill it with -1 (counts are >= 0).
        X, Xt = np.nan_to_num(X, nan=-1.0), np.nan_to_num(Xt, nan=-1.0)
        p_features = X.shape[1]
        forest = RandomForestRegressor(n_estimators=100, max_depth=10, max_features=math.sqrt(p_features) / p_features,
                                       random_state=1, n_jobs=2).fit(X, train["target"])
        bins = np.unique(test["bin"]).astype(int)
        cells = int(mask.sum())
        theirs = forest.predict(Xt).reshape(len(bins), cells)
        truth = test["target"].reshape(len(bins), cells)
        with h5py.File(forecast, "r") as f:
            ours = f["forecast"][:, 0][:, mask == 1]
            times = f["time"][:]
        inside = np.flatnonzero(mask.ravel())  # the rows run over the in-mask cells, row-major
        checks = [
            ("the exported cell is the grid index (row x W + col) of the row's in-mask cell (it was the index "
             "among the in-mask cells)", np.array_equal(test["cell"].reshape(len(bins), cells), np.tile(inside, (len(bins), 1)))
             and np.array_equal(test["row"] * W + test["col"], test["cell"])),
            ("the test rows are the forecast's bins", np.array_equal(16800 + 7 * bins, times)),
            ("the exported targets are the tensor's counts", np.array_equal(truth, counts[bins, 0][:, mask == 1])),
        ]
        auc_ours, auc_theirs = mean_auc(truth, ours), mean_auc(truth, theirs)
        print("hotspot AUC: crimecast rf %.4f, scikit-learn %.4f" % (auc_ours, auc_theirs))
        checks.append(("AUCs within 0.02", abs(auc_ours - auc_theirs) <= 0.02))
        checks.append(("the forest learns the hotspots (AUC > 0.8)", auc_ours > 0.8))
        # The same seed gives the same forest at any --threads (one booster per thread gave
        # a 2-core laptop and a 16-core workstation other trees).
        alike = []
        for threads in ("1", "3", "0"):
            out = os.path.join(tmp, "rf_threads%s.h5" % threads)
            q = subprocess.run([CRIMECAST, "baseline", "--method", "rf", "--data", tensor, "--out", out, "--trees", "20",
                                "--depth", "6", "--seed", "4", "--threads", threads], capture_output=True, text=True)
            with h5py.File(out, "r") as f:
                alike.append(f["forecast"][:] if q.returncode == 0 else None)
        checks.append(("the forest is bit-identical at --threads 1, 3 and 0 (every CPU)",
                       all(a is not None for a in alike) and all(np.array_equal(alike[0], a) for a in alike[1:])))
        # --span next: the rows of bin T, whose target is not in the tensor (nan), whose
        # features are the last bins' counts.
        p = subprocess.run([CRIMECAST, "baseline", "--method", "rf", "--data", tensor, "--out", forecast, "--trees", "10",
                            "--depth", "4", "--seed", "1", "--threads", "2", "--span", "next",
                            "--export-features", prefix + "_next"], capture_output=True, text=True)
        checks.append(("rf --span next runs", p.returncode == 0))
        if p.returncode == 0:
            nxt = np.genfromtxt(prefix + "_next_test.csv", delimiter=",", names=True)
            checks += [
                ("--span next exports the rows of bin T", len(nxt) == cells and np.all(nxt["bin"] == T)),
                ("their target is nan", np.all(np.isnan(nxt["target"]))),
                ("their lag1 is the last bin's count", np.array_equal(nxt["lag1"], counts[T - 1, 0][mask == 1])),
                ("their lag2 the one before", np.array_equal(nxt["lag2"], counts[T - 2, 0][mask == 1])),
            ]
        # --span all covers the training span the forests were fitted on: said, as kde's note
        # says of its chosen options (it was silent; a probe, 2026-12-07). Targets from bin
        # window = 8 on; the validation span starts at 70% of T.
        lead, val_first = 8, int(math.floor(0.70 * T + 0.5))
        note = "note: of the %d bins this forecast covers, %d in the training span rf was fitted on: its scores " \
            "there are in-sample" % (T - lead, val_first - lead)
        p = subprocess.run([CRIMECAST, "baseline", "--method", "rf", "--data", tensor, "--out", forecast, "--trees", "2",
                            "--depth", "2", "--threads", "1", "--span", "all"], capture_output=True, text=True)
        q = subprocess.run([CRIMECAST, "baseline", "--method", "rf", "--data", tensor, "--out", forecast, "--trees", "2",
                            "--depth", "2", "--threads", "1"], capture_output=True, text=True)
        checks.append(("rf --span all notes its in-sample bins (%d of %d); --span test notes none" % (
            val_first - lead, T - lead), p.returncode == 0 and note in p.stderr and q.returncode == 0
            and "in-sample" not in q.stderr))
        # --lags past the training span: said with the arithmetic and the option (it said only
        # "no training targets"; a probe, 2026-12-07)
        p = subprocess.run([CRIMECAST, "baseline", "--method", "rf", "--data", tensor, "--out", forecast, "--trees", "2",
                            "--lags", str(T), "--threads", "1"], capture_output=True, text=True)
        checks.append(("rf --lags %d (more than the training span): exit 1 naming --lags and its arithmetic" % T,
                       p.returncode == 1 and "the first target needs --lags %d + horizon 1 - 1 = %d bins before it"
                       % (T, T) in p.stderr and "a smaller --lags" in p.stderr))
    failed = [name for name, ok in checks if not ok]
    for name, ok in checks:
        print("%s %s" % ("ok  " if ok else "FAIL", name))
    print("%d failed of the checks above" % len(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
