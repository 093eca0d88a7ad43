#!/usr/bin/env bash
# Training speed on the CPU: `crimecast bench train` against the same ConvLSTM and
# training step in Debian's PyTorch (bench/pytorch_convlstm.py), on the same threads, in
# one run. Standard configuration: batch 16, 32 x 32, 1 channel, 2 layers x 64 hidden,
# kernel 5, window 8, horizon 1. crimecast runs twice: its default CPU convolutions
# (oneDNN where built, --conv auto) and im2col + OpenBLAS (--conv gemm). Prints the median
# step times, the GFLOP/s beside the machine's SGEMM rate on the same product and threads
# (measured by crimecast in the same run), and the ratios pytorch/crimecast (target >= 1.0:
# crimecast at least as fast).
#
# usage: bench/train_vs_pytorch.sh [CRIMECAST]   (STEPS=3, THREADS=2)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
crimecast="${1:-$here/build/crimecast}"
steps="${STEPS:-3}"
threads="${THREADS:-2}"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $threads threads each"
"$crimecast" info | grep '^cpu '
auto=$("$crimecast" bench train --device cpu --conv auto --threads "$threads" --steps "$steps" --json)
gemm=$("$crimecast" bench train --device cpu --conv gemm --threads "$threads" --steps "$steps" --json)
theirs=$(OMP_NUM_THREADS="$threads" /usr/bin/python3 "$here/bench/pytorch_convlstm.py" --threads "$threads" --steps "$steps")
echo "crimecast (--conv auto): $auto"
echo "crimecast (--conv gemm): $gemm"
echo "pytorch:                 $theirs"
/usr/bin/python3 - "$auto" "$gemm" "$theirs" <<'PY'
import json, sys
auto, gemm, theirs = (json.loads(a) for a in sys.argv[1:4])
for name, ours in (("auto (%s)" % auto["conv"], auto), ("gemm", gemm)):
    print("crimecast --conv %-13s median step %.3f s, %.1f GFLOP/s = %.0f%% of the SGEMM rate %.1f GFLOP/s; "
          "pytorch/crimecast %.2f (target >= 1.00)"
          % (name, ours["step_seconds"], ours["gflops"], 100 * ours["gflops"] / (1e3 * ours["gemm_tflops_fp32"]),
             1e3 * ours["gemm_tflops_fp32"], theirs["step_seconds"] / ours["step_seconds"]))
print("pytorch %s median step %.3f s" % (theirs["framework"], theirs["step_seconds"]))
PY
