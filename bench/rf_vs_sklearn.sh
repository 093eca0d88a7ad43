#!/usr/bin/env bash
# Random-forest training speed: crimecast's rf baseline (XGBoost, random-forest mode)
# fitting the largest shared city's features (Chicago 2012-2017, weekly, 32 x 32,
# channel 'all'), against scikit-learn's RandomForestRegressor (n_jobs=2, the same 100
# trees, depth 10, sqrt(p)/p features per split) fitting the same exported matrix, in
# one run. Prints both fit times and the ratio scikit-learn/crimecast (target >= 1.0).
#
# usage: bench/rf_vs_sklearn.sh [CRIMECAST] [SHARED_DATA_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
crimecast="${1:-$here/build/crimecast}"
data="${2:-$here/../shared/data}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$crimecast" import --city chicago --db "$tmp/s.db" "$data"/chicago/*.csv.gz > /dev/null 2>&1
"$crimecast" raster --city chicago --db "$tmp/s.db" --from 2012-01-02 --to 2018-01-01 --bin week --grid 32 \
  --categories burglary --out "$tmp/t.h5" > /dev/null
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
ours=$("$crimecast" baseline --method rf --data "$tmp/t.h5" --out "$tmp/rf.h5" --trees 100 --depth 10 --threads 2 \
  --export-features "$tmp/features" | grep "forest for 'all'" | sed "s/.*fitted in \([0-9.]*\) s/\1/")
/usr/bin/python3 - "$tmp/features_train.csv" "$ours" <<'PY'
import math, sys, time
import numpy as np
from sklearn.ensemble import RandomForestRegressor
train = np.genfromtxt(sys.argv[1], delimiter=",", names=True)
names = [n for n in train.dtype.names if n not in ("target", "bin", "cell")]
X = np.nan_to_num(np.array([train[n] for n in names]).T, nan=-1.0)
p = X.shape[1]
start = time.perf_counter()
RandomForestRegressor(n_estimators=100, max_depth=10, max_features=math.sqrt(p) / p, random_state=1, n_jobs=2).fit(X, train["target"])
theirs = time.perf_counter() - start
ours = float(sys.argv[2])
print("matrix: %d rows x %d features" % X.shape)
print("crimecast rf (XGBoost) fit: %.3f s; scikit-learn fit: %.3f s" % (ours, theirs))
print("ratio scikit-learn/crimecast: %.2f (target >= 1.00)" % (theirs / ours))
PY
