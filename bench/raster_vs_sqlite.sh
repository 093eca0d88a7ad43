#!/usr/bin/env bash
# Rasterising speed: crimecast raster of the largest shared city (Chicago 2012-2017,
# all categories, weekly, recency sums on) end to end (query, projection, binning, HDF5
# with compression) on a 64 x 64 grid (dense counts) and at 150 m cells (299 x 247,
# counts stored sparse), against sqlite3 reading the same rows (SELECT occurred, lat,
# lon, category over the span, output discarded). Alternating, REPEATS times each in one
# run; prints the best of each and the ratios crimecast/sqlite3 (target <= 1.5), with
# raster's peak memory.
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
best_s=""; best_64=""; best_150=""
echo "store: Chicago 2012-2017, $rows incidents in the span"
echo "cpu:   $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
raster() { # GRID_ARGS...: prints the wall seconds, keeps the peak memory in $tmp/rss
  local t0 t1
  t0=$(now)
  /usr/bin/time -f %M -o "$tmp/rss" "$crimecast" raster --city chicago --db "$tmp/s.db" --from 2012-01-01 \
    --to 2018-01-01 --bin week "$@" --categories all --out "$tmp/t.h5" > "$tmp/out.txt"
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
for i in $(seq "$repeats"); do
  t0=$(now); sqlite3 "$tmp/s.db" "$query" > /dev/null; t1=$(now)
  s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  c64=$(raster --grid 64); rss64=$(cat "$tmp/rss"); out64=$(head -n 2 "$tmp/out.txt")
  c150=$(raster --cell 150); rss150=$(cat "$tmp/rss"); out150=$(head -n 2 "$tmp/out.txt")
  echo "run $i: sqlite3 select ${s} s, crimecast raster 64 x 64 ${c64} s, at 150 m ${c150} s"
  best_s=$(min "$best_s" "$s"); best_64=$(min "$best_64" "$c64"); best_150=$(min "$best_150" "$c150")
done
echo "$out64"
echo "$out150"
echo "sqlite3 SELECT (output discarded):  best ${best_s} s"
echo "crimecast raster 64 x 64 (dense):   best ${best_64} s, peak $((rss64 / 1024)) MiB"
echo "crimecast raster 150 m (sparse):    best ${best_150} s, peak $((rss150 / 1024)) MiB"
awk -v s="$best_s" -v a="$best_64" -v b="$best_150" \
  'BEGIN { printf "ratio crimecast/sqlite3: 64 x 64 %.2f, 150 m %.2f (target <= 1.50)\n", a / s, b / s }'
