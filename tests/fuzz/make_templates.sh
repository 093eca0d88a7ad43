#!/usr/bin/env bash
# Writes the HDF5 templates the file fuzzers edit (tests/fuzz/templates/): a tensor with
# recency sums (dense counts, and stored sparse), a forecast, and a model file of a two-member seed ensemble, all from
# crimecast itself on a tiny synthetic city, so they are exactly what the program writes.
# Run again when a file format changes (the fuzzers refuse to start on a template their
# reader no longer reads):
#   bash tests/fuzz/make_templates.sh build/crimecast
set -euo pipefail
CRIMECAST=${1:-build/crimecast}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$CRIMECAST" synth --db "$WORK/s.db" --from 2020-01-06 --to 2020-04-27 --seed 1 >/dev/null
"$CRIMECAST" raster --city synthetic --db "$WORK/s.db" --from 2020-01-06 --to 2020-04-27 --bin week --grid 6 \
  --categories burglary --out "$WORK/tensor.h5" >/dev/null
"$CRIMECAST" raster --city synthetic --db "$WORK/s.db" --from 2020-01-06 --to 2020-04-27 --bin week --grid 6 \
  --categories burglary --layout sparse --out "$WORK/tensor_sparse.h5" >/dev/null
"$CRIMECAST" train --data "$WORK/tensor.h5" --out "$WORK/model.h5" --hidden 2 --layers 1 --window 2 --epochs 1 \
  --seeds 2 --recency on --context on --skip 1 --batch 4 --baseline 2 --threads 1 --device cpu >/dev/null 2>&1
"$CRIMECAST" predict --model "$WORK/model.h5" --data "$WORK/tensor.h5" --out "$WORK/forecast.h5" --threads 1 \
  --device cpu >/dev/null 2>&1
mkdir -p "$HERE/templates"
cp "$WORK/tensor.h5" "$WORK/tensor_sparse.h5" "$WORK/forecast.h5" "$WORK/model.h5" "$HERE/templates/"
ls -l "$HERE/templates"
