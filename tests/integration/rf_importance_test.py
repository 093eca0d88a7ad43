#!/usr/bin/env python3
"""crimecast baseline --method rf --importance / --importance-png on a synthetic tensor
whose counts depend on one known feature only: every cell has its own Poisson rate,
drawn at random and placed at random on the grid, constant in time. The best predictor
of a cell's next count is then its training-span mean (feature train_mean); its lags are
noisy copies of the same information, and its row and column say nothing (the rates have
no spatial pattern). Checks:
  - the CSV's layout: one row per category x feature, most important first;
  - train_mean ranks first in every category, clearly above 0 and above its own spread;
  - row and col are ~0 (|mean| under 3% of train_mean's);
  - baseline_mse is the MSE of crimecast's own validation forecast (--span val), recomputed
    here in numpy from the forecast file and the tensor;
  - an independent reference: scikit-learn's permutation_importance of its own
    RandomForestRegressor, fitted on crimecast's exported training matrix and scored on
    the exported validation rows, ranks train_mean first too, with an importance within
    a factor of 2 of crimecast's;
  - both PNGs (channel 'all' and FILE-burglary.png) are well-formed PNGs (CRCs, IHDR,
    IDAT inflating to the size IHDR announces), decoded here with zlib and struct;
  - --importance without --method rf is a usage error (exit 2).

usage: rf_importance_test.py CRIMECAST
"""
import math
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import h5py
import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.inspection import permutation_importance

from synthetic_tensor import write_tensor

CRIMECAST = sys.argv[1]
T, C, H, W = 160, 2, 12, 12
CATEGORIES = ["all", "burglary"]
FEATURE_COUNT = 2 * 8 + 7  # lags 1..8 own and 'all', then 7 fixed features


def synthetic_counts():
    rng = np.random.default_rng(5)
    rate = np.exp(rng.normal(1.0, 0.9, size=(H, W)))  # iid per cell: no spatial pattern
    counts = np.zeros((T, C, H, W), dtype=np.float32)
    counts[:, 0] = rng.poisson(rate[None], size=(T, H, W))
    counts[:, 1] = rng.binomial(counts[:, 0].astype(int), 0.3)
    mask = np.ones((H, W), dtype=np.uint8)
    mask[0, :2] = 0
    return counts, mask


def read_importance(path):
    rows = []
    with open(path) as f:
        header = f.readline().strip()
        for line in f:
            category, feature, mean, std, base = line.strip().split(",")
            rows.append((category, feature, float(mean), float(std), float(base)))
    return header, rows


def png_size(path):
    """(width, height) of a non-interlaced 8-bit PNG after checking its structure."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("no PNG signature")
    pos, chunks, idat = 8, [], b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise ValueError("bad CRC in %r" % kind)
        chunks.append(kind)
        if kind == b"IDAT":
            idat += body
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        pos += 12 + length
    if chunks[0] != b"IHDR" or chunks[-1] != b"IEND" or depth != 8 or interlace != 0:
        raise ValueError("unexpected PNG layout %r" % chunks)
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    if len(zlib.decompress(idat)) != height * (1 + width * channels):
        raise ValueError("IDAT does not hold %d x %d pixels" % (width, height))
    return width, height


def sklearn_importance(prefix):
    """scikit-learn's own forest and permutation importance on crimecast's exported
    matrices (channel 'all'): {feature: mean increase in MSE}."""
    train = np.genfromtxt(prefix + "_train.csv", delimiter=",", names=True)
    val = np.genfromtxt(prefix + "_test.csv", delimiter=",", names=True)
    names = [n for n in train.dtype.names if n not in ("target", "bin", "cell")]
    X = np.nan_to_num(np.array([train[n] for n in names]).T, nan=-1.0)
    Xv = np.nan_to_num(np.array([val[n] for n in names]).T, nan=-1.0)
    p = X.shape[1]
    forest = RandomForestRegressor(n_estimators=100, max_depth=10, max_features=math.sqrt(p) / p, random_state=1,
                                   n_jobs=2).fit(X, train["target"])
    result = permutation_importance(forest, Xv, val["target"], scoring="neg_mean_squared_error", n_repeats=5,
                                    random_state=1, n_jobs=1)
    return dict(zip(names, result.importances_mean))


def main():
    counts, mask = synthetic_counts()
    checks = []
    with tempfile.TemporaryDirectory() as tmp:
        tensor, forecast, csv, png, prefix = (os.path.join(tmp, n)
                                              for n in ("t.h5", "rf.h5", "imp.csv", "imp.png", "features"))
        write_tensor(tensor, counts, mask, CATEGORIES, created_by="rf_importance_test.py")
        usage = subprocess.run([CRIMECAST, "baseline", "--method", "persistence", "--data", tensor, "--out", forecast,
                                "--importance", csv], capture_output=True, text=True)
        checks.append(("--importance without --method rf exits 2", usage.returncode == 2))
        p = subprocess.run([CRIMECAST, "baseline", "--method", "rf", "--data", tensor, "--out", forecast, "--span", "val",
                            "--threads", "2", "--importance", csv, "--importance-png", png, "--export-features", prefix],
                           capture_output=True, text=True)
        if p.returncode != 0:
            print("FAIL: crimecast baseline rf --importance exited %d: %s" % (p.returncode, p.stderr))
            return 1
        header, rows = read_importance(csv)
        # channel 0's lagK and all_lagK are one column: equal in the exported features, and said
        with open(prefix + "_train.csv") as f:
            names = f.readline().strip().split(",")
            table = np.array([[float(v) for v in line.strip().split(",")] for line in f])
        twice = all(np.array_equal(table[:, names.index("lag%d" % k)], table[:, names.index("all_lag%d" % k)],
                                   equal_nan=True) for k in (1, 2))
        checks.append(("channel 0's lagK and all_lagK are one column twice, and the note says to read them as one "
                       "(an analyst read its recent counts as half as important; a probe)", twice
                       and "note: for '%s', lagK and all_lagK are one column twice" % CATEGORIES[0] in p.stderr))
        checks.append(("CSV header", header == "category,feature,importance_mean,importance_std,baseline_mse"))
        checks.append(("one row per category x feature", len(rows) == C * FEATURE_COUNT))
        with h5py.File(forecast, "r") as f:
            ours = f["forecast"][:].astype(np.float64)
            times = f["time"][:]
        bins = ((times - 16800) // 7).astype(int)
        sk = sklearn_importance(prefix)
        sk_top = max(sk, key=sk.get)
        print("scikit-learn permutation importance, channel 'all': top %s %.4f, row %.4f, col %.4f"
              % (sk_top, sk[sk_top], sk["row"], sk["col"]))
        for c, category in enumerate(CATEGORIES):
            mine = [r for r in rows if r[0] == category]
            means = {r[1]: r[2] for r in mine}
            top = mine[0]
            print("%s: top %s %.4f +- %.4f, row %.4f, col %.4f, baseline MSE %.4f"
                  % (category, top[1], top[2], top[3], means["row"], means["col"], top[4]))
            checks.append(("%s: sorted by importance" % category,
                           all(a[2] >= b[2] for a, b in zip(mine, mine[1:]))))
            checks.append(("%s: every feature once" % category, len(set(means)) == FEATURE_COUNT))
            checks.append(("%s: train_mean ranks first" % category, top[1] == "train_mean"))
            checks.append(("%s: train_mean clearly > 0 (> 10%% of the MSE, > 5 std)" % category,
                           top[2] > 0.1 * top[4] and top[2] > 5 * top[3]))
            checks.append(("%s: row and col ~0" % category,
                           abs(means["row"]) < 0.03 * top[2] and abs(means["col"]) < 0.03 * top[2]))
            truth = counts[bins, c][:, mask == 1].astype(np.float64)
            mse = float(np.mean((ours[:, c][:, mask == 1] - truth) ** 2))
            checks.append(("%s: baseline_mse = MSE of the --span val forecast (%.6f vs %.6f)" % (category, top[4], mse),
                           abs(top[4] - mse) <= 1e-5 * max(1.0, mse)))
        all_means = {r[1]: r[2] for r in rows if r[0] == "all"}
        checks.append(("scikit-learn's permutation importance also ranks train_mean first", sk_top == "train_mean"))
        checks.append(("train_mean's importance within a factor of 2 of scikit-learn's",
                       0.5 <= all_means["train_mean"] / sk["train_mean"] <= 2.0))
        for name in (png, os.path.join(tmp, "imp-burglary.png")):
            try:
                width, height = png_size(name)
                checks.append(("%s decodes, %d x %d" % (os.path.basename(name), width, height),
                               width > 0 and height > 0))
            except (OSError, ValueError) as e:
                checks.append(("%s decodes: %s" % (os.path.basename(name), e), False))
    failed = [name for name, ok in checks if not ok]
    for name, ok in checks:
        print("%s %s" % ("ok  " if ok else "FAIL", name))
    print("%d failed of the checks above" % len(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
