#!/usr/bin/env bash
# Import speed: crimecast import of the largest shared Chicago file (gzip; parsing
# dates, validating, mapping categories, deduplicating into the indexed store) against
# sqlite3's own `.import` of the same CSV, uncompressed, into a plain table with no
# index. Both run REPEATS times, alternating, in one run; the best time of each and
# the ratio sqlite3/crimecast are printed (>= 1.0: crimecast is at least as fast).
#
# usage: bench/import_vs_sqlite.sh [CRIMECAST] [SHARED_DATA_DIR]   (REPEATS=3)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
crimecast="${1:-$here/build/crimecast}"
data="${2:-$here/../shared/data}"
repeats="${REPEATS:-3}"
command -v sqlite3 >/dev/null || { echo "sqlite3 not found (apt-get install sqlite3)" >&2; exit 1; }
file="$(ls -S "$data"/chicago/*.csv.gz | head -n 1)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
zcat "$file" > "$tmp/plain.csv"
rows=$(($(wc -l < "$tmp/plain.csv") - 1))

now() { date +%s.%N; }
best_sqlite=""; best_crimecast=""
min() { if [ -z "$1" ]; then echo "$2"; else awk -v a="$1" -v b="$2" 'BEGIN { print (a < b ? a : b) }'; fi; }

echo "file: $file ($rows rows, $(du -m "$tmp/plain.csv" | cut -f1) MiB uncompressed)"
echo "cpu:  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
for i in $(seq "$repeats"); do
  rm -f "$tmp"/s.db*
  t0=$(now); sqlite3 "$tmp/s.db" ".import --csv $tmp/plain.csv incidents"; t1=$(now)
  s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  rm -f "$tmp"/c.db*
  t0=$(now); "$crimecast" import --city chicago --db "$tmp/c.db" "$file" > "$tmp/out.txt" 2>/dev/null; t1=$(now)
  c=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  echo "run $i: sqlite3 .import ${s} s, crimecast import ${c} s"
  best_sqlite=$(min "$best_sqlite" "$s"); best_crimecast=$(min "$best_crimecast" "$c")
done
stored=$(sqlite3 "$tmp/c.db" "SELECT count(*) FROM incidents")
plain=$(sqlite3 "$tmp/s.db" "SELECT count(*) FROM incidents")
echo "sqlite3 .import (plain table, uncompressed CSV): best ${best_sqlite} s, $plain rows"
echo "crimecast import (indexed store, .csv.gz):       best ${best_crimecast} s, $stored rows stored"
awk -v s="$best_sqlite" -v c="$best_crimecast" \
  'BEGIN { printf "ratio sqlite3/crimecast: %.2f (target >= 1.00)\n", s / c }'
