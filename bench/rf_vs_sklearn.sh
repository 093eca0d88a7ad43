#!/usr/bin/env bash
# Random-forest training speed: crimecast's rf baseline (XGBoost, random-forest mode)
# fitting the largest shared city's features (Chicago 2012-2017, weekly, 32 x 32,
# channel 'all'), against scikit-learn's RandomForestRegressor (n_jobs=2, the same 100
# trees, depth 10, sqrt(p)/p features per split) fitting the same exported matrix, in
# one run: ROUNDS alternating rounds (default 3), each timing crimecast then
# scikit-learn. crimecast's figure is its forest's fit as it prints it: building
# XGBoost's matrices from the feature array plus training, as scikit-learn's fit
# includes its own input conversion. Prints each round's times and ratio
# scikit-learn/crimecast, then the median ratio (target >= 1.0).
#
# usage: bench/rf_vs_sklearn.sh [CRIMECAST] [SHARED_DATA_DIR] [ROUNDS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
crimecast="${1:-$here/build/crimecast}"
data="${2:-$here/../shared/data}"
rounds="${3:-3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$crimecast" import --city chicago --db "$tmp/s.db" "$data"/chicago/*.csv.gz > /dev/null 2>&1
"$crimecast" raster --city chicago --db "$tmp/s.db" --from 2012-01-02 --to 2018-01-01 --bin week --grid 32 \
  --categories burglary --out "$tmp/t.h5" > /dev/null
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
# the exported matrix, once (the export is not timed)
"$crimecast" baseline --method rf --data "$tmp/t.h5" --out "$tmp/rf.h5" --trees 1 --depth 1 \
  --export-features "$tmp/features" > /dev/null
/usr/bin/python3 - "$tmp/features_train.csv" "$crimecast" "$tmp/t.h5" "$tmp/rf.h5" "$rounds" <<'PY'
import math, re, statistics, subprocess, sys, time
import numpy as np
from sklearn.ensemble import RandomForestRegressor
path, crimecast, tensor, out, rounds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
train = np.genfromtxt(path, delimiter=",", names=True)
names = [n for n in train.dtype.names if n not in ("target", "bin", "cell")]
X = np.nan_to_num(np.array([train[n] for n in names]).T, nan=-1.0)
y = train["target"]
p = X.shape[1]
print("matrix: %d rows x %d features" % X.shape)
ratios = []
for r in range(rounds):
    run = subprocess.run([crimecast, "baseline", "--method", "rf", "--data", tensor, "--out", out, "--trees", "100",
                          "--depth", "10", "--threads", "2"], capture_output=True, text=True, check=True)
    ours = float(re.search(r"forest for 'all' .* fitted in ([0-9.]+) s", run.stdout).group(1))
    start = time.perf_counter()
    RandomForestRegressor(n_estimators=100, max_depth=10, max_features=math.sqrt(p) / p, random_state=1,
                          n_jobs=2).fit(X, y)
    theirs = time.perf_counter() - start
    ratios.append(theirs / ours)
    print("round %d: crimecast rf (XGBoost) fit %.3f s; scikit-learn fit %.3f s; ratio %.2f" % (r + 1, ours, theirs, ratios[-1]))
print("ratio scikit-learn/crimecast: median %.2f of %s (target >= 1.00)"
      % (statistics.median(ratios), ", ".join("%.2f" % q for q in ratios)))
PY
