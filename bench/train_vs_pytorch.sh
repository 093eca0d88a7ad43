#!/usr/bin/env bash
# Training speed on the CPU: `crimecast bench train` against the same ConvLSTM and
# training step in Debian's PyTorch (bench/pytorch_convlstm.py), both on 2 threads, in
# one run. Standard configuration: batch 16, 32 x 32, 1 channel, 2 layers x 64 hidden,
# kernel 5, window 8, horizon 1. Prints both median step times and the ratio
# pytorch/crimecast (target >= 1.0: crimecast at least as fast).
#
# usage: bench/train_vs_pytorch.sh [CRIMECAST]   (STEPS=3, THREADS=2)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
crimecast="${1:-$here/build/crimecast}"
steps="${STEPS:-3}"
threads="${THREADS:-2}"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $threads threads each"
ours=$("$crimecast" bench train --device cpu --threads "$threads" --steps "$steps" --json)
theirs=$(OMP_NUM_THREADS="$threads" /usr/bin/python3 "$here/bench/pytorch_convlstm.py" --threads "$threads" --steps "$steps")
echo "crimecast: $ours"
echo "pytorch:   $theirs"
/usr/bin/python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("median step: crimecast %.3f s (%.1f GFLOP/s), pytorch %.3f s" % (ours["step_seconds"], ours["gflops"], theirs["step_seconds"]))
print("ratio pytorch/crimecast: %.2f (target >= 1.00)" % (theirs["step_seconds"] / ours["step_seconds"]))
PY
