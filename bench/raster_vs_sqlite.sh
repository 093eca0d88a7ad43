#!/usr/bin/env bash
# Rasterising speed: crimecast raster of the largest shared city (Chicago 2012-2017,
# all categories, weekly, 64 x 64) end to end (query, projection, binning, HDF5 with
# compression), against sqlite3 reading the same rows (SELECT occurred, lat, lon,
# category over the span, output discarded). Alternating, REPEATS times each in one
# run; prints the best of each and the ratio crimecast/sqlite3 (target <= 1.5).
#
# usage: bench/raster_vs_sqlite.sh [CRIMECAST] [SHARED_DATA_DIR]   (REPEATS=3)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
crimecast="${1:-$here/build/crimecast}"
data="${2:-$here/../shared/data}"
repeats="${REPEATS:-3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$crimecast" import --city chicago --db "$tmp/s.db" "$data"/chicago/*.csv.gz > /dev/null 2>&1
query="SELECT occurred, lat, lon, category FROM incidents WHERE city = 'chicago' AND occurred >= '2012-01-01 00:00' AND occurred < '2018-01-01 00:00'"
rows=$(sqlite3 "$tmp/s.db" "SELECT count(*) FROM ($query)")
now() { date +%s.%N; }
min() { if [ -z "$1" ]; then echo "$2"; else awk -v a="$1" -v b="$2" 'BEGIN { print (a < b ? a : b) }'; fi; }
best_s=""; best_c=""
echo "store: Chicago 2012-2017, $rows incidents in the span"
echo "cpu:   $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
for i in $(seq "$repeats"); do
  t0=$(now); sqlite3 "$tmp/s.db" "$query" > /dev/null; t1=$(now)
  s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  t0=$(now)
  "$crimecast" raster --city chicago --db "$tmp/s.db" --from 2012-01-01 --to 2018-01-01 --bin week \
    --grid 64 --categories all --out "$tmp/t.h5" > "$tmp/out.txt"
  t1=$(now)
  c=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  echo "run $i: sqlite3 select ${s} s, crimecast raster ${c} s"
  best_s=$(min "$best_s" "$s"); best_c=$(min "$best_c" "$c")
done
head -n 1 "$tmp/out.txt"
echo "sqlite3 SELECT (output discarded): best ${best_s} s"
echo "crimecast raster (to HDF5):        best ${best_c} s"
awk -v s="$best_s" -v c="$best_c" 'BEGIN { printf "ratio crimecast/sqlite3: %.2f (target <= 1.50)\n", c / s }'
