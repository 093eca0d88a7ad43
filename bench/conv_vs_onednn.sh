#!/usr/bin/env bash
# crimecast's CPU convolutions (im2col + OpenBLAS) against oneDNN's on the standard
# benchmark's convolutions (bench/conv_onednn.c says what is timed), built here against
# Debian's libdnnl-dev, which this script installs when missing (and root).
#
# usage: bench/conv_vs_onednn.sh   (THREADS=2, REPEATS=7)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -e /usr/include/oneapi/dnnl/dnnl.h ]; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq --no-install-recommends libdnnl-dev >/dev/null
  else echo "conv_vs_onednn: needs Debian's libdnnl-dev (apt-get install libdnnl-dev)" >&2; exit 1; fi
fi
# crimecast side: im2col + OpenBLAS (onednn.c built without CRIMECAST_HAVE_DNNL: its stubs)
blas_flags=(-DCRIMECAST_HAVE_BLAS=1 -lopenblas)
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT
gcc -std=c11 -O3 -march=native -fopenmp -D_POSIX_C_SOURCE=200809L -I"$here" -o "$out/conv_onednn" \
  "$here/bench/conv_onednn.c" "$here"/kernels/cpu/{conv2d,gemm,gemm_choice,threads,onednn}.c "$here/kernels/shapes.c" \
  -ldnnl "${blas_flags[@]}" -lm
export OMP_NUM_THREADS="${THREADS:-2}"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $OMP_NUM_THREADS threads"
repeats="${REPEATS:-7}"
if [ -n "${SHAPES:-}" ]; then  # "N CIN COUT H W K STRIDE;..." instead of the standard ones
  IFS=";" read -ra list <<<"$SHAPES"
  for shape in "${list[@]}"; do "$out/conv_onednn" $shape "$repeats"; done
  exit 0
fi
# The standard configuration's convolutions (batch 16, 32 x 32, 64 hidden, kernel 5):
# the recurrent one (h -> 4 gates, every step) and the first layer's input one (1 -> 4
# gates over the whole window at once, batch 8 x 16).
"$out/conv_onednn" 16 64 256 32 32 5 1 "$repeats"
"$out/conv_onednn" 128 1 256 32 32 5 1 "$repeats"
