#!/usr/bin/env bash
# Training speed on the CPU: `crimecast bench train` against the same ConvLSTM and
# training step in Debian's PyTorch (bench/pytorch_convlstm.py), on the same threads, in
# one run. Standard configuration: batch 16, 32 x 32, 1 channel, 2 layers x 64 hidden,
# kernel 5, window 8, horizon 1. crimecast runs three times: its default CPU convolutions
# (oneDNN where built, --conv auto), im2col + OpenBLAS (--conv gemm), and --precision bf16
# (against PyTorch under bfloat16 autocast, the same math: bf16 convolution inputs, FP32
# parameters, optimizer and loss). Prints the median step times, the GFLOP/s beside the
# machine's SGEMM rate on the same product and threads (measured by crimecast in the same
# run), and the ratios pytorch/crimecast (target >= 1.0: crimecast at least as fast).
#
# SHAPE changes the configuration for both, e.g. patrol resolution (issue 29):
#   SHAPE="--batch 8 --grid 256 --channels 12 --down 4" bash bench/train_vs_pytorch.sh
#
# usage: bench/train_vs_pytorch.sh [CRIMECAST]   (STEPS=3, THREADS=2, SHAPE="")
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
crimecast="${1:-$here/build/crimecast}"
steps="${STEPS:-3}"
threads="${THREADS:-2}"
read -r -a shape <<<"${SHAPE:-}"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $threads threads each"
"$crimecast" info | grep '^cpu '
bench() { "$crimecast" bench train --device cpu --threads "$threads" --steps "$steps" --json "${shape[@]}" "$@"; }
torch() { OMP_NUM_THREADS="$threads" /usr/bin/python3 "$here/bench/pytorch_convlstm.py" --threads "$threads" --steps "$steps" \
  "${shape[@]}" "$@"; }
auto=$(bench --conv auto)
gemm=$(bench --conv gemm)
half_err=$(mktemp)
half=$(bench --precision bf16 2>"$half_err" || true)
[ -n "$half" ] || half=$(head -c 300 "$half_err")
rm -f "$half_err"
theirs=$(torch)
# bf16 needs the CPU's bf16 instructions (oneDNN refuses it under an AVX2 limit, in both).
# Where crimecast refuses it, PyTorch is not asked either: on an AVX2-only EPYC its
# autocast step is emulated, and 4 steps of it ran past 13 minutes (2026-12-04).
if [[ "$half" == "{"* ]]; then
  theirs_half=$(torch --bf16 1 2>/dev/null || echo '{"refused": "PyTorch could not run its bf16 step here"}')
else
  theirs_half='{"refused": "not run, as crimecast refused its own bf16 step here"}'
fi
printf 'crimecast (--conv auto): %s\ncrimecast (--conv gemm): %s\ncrimecast (bf16):        %s\n' "$auto" "$gemm" "$half"
printf 'pytorch:                 %s\npytorch (bf16):          %s\n' "$theirs" "$theirs_half"
/usr/bin/python3 - "$auto" "$gemm" "$half" "$theirs" "$theirs_half" <<'PY'
import json, sys
auto, gemm = json.loads(sys.argv[1]), json.loads(sys.argv[2])
theirs, theirs_half = json.loads(sys.argv[4]), json.loads(sys.argv[5])
for name, ours in (("auto (%s)" % auto["conv"], auto), ("gemm", gemm)):
    print("fp32: crimecast --conv %-13s median step %.3f s, %.1f GFLOP/s = %.0f%% of the SGEMM rate %.1f GFLOP/s; "
          "pytorch/crimecast %.2f (target >= 1.00)"
          % (name, ours["step_seconds"], ours["gflops"], 100 * ours["gflops"] / (1e3 * ours["gemm_tflops_fp32"]),
             1e3 * ours["gemm_tflops_fp32"], theirs["step_seconds"] / ours["step_seconds"]))
print("fp32: pytorch %s median step %.3f s" % (theirs["framework"], theirs["step_seconds"]))
try:
    half = json.loads(sys.argv[3])
    if "refused" in theirs_half:
        raise ValueError(theirs_half["refused"])
    print("bf16: crimecast median step %.3f s (%.1f GFLOP/s), pytorch autocast %.3f s; pytorch/crimecast %.2f "
          "(target >= 1.00)" % (half["step_seconds"], half["gflops"], theirs_half["step_seconds"],
                                theirs_half["step_seconds"] / half["step_seconds"]))
except ValueError as refused:
    print("bf16: not compared here: %s" % (theirs_half.get("refused") or "crimecast refused it: " + sys.argv[3].strip()))
PY
