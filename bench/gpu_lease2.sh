#!/usr/bin/env bash
# The second, short call of a GPU lease, on the machine bench/gpu_lease.sh left warm (its
# build-gpu is kept between calls): what the first call has no time for, in order of
# value, each step cut to the time left: compute-sanitizer racecheck on the op and step
# parity tests (issue 29 asks for it clean), then the benchmarks of the configurations the
# first call leaves out (CONFIGS, default the standard 16 x 64), then, with COMPILE=1,
# PyTorch under torch.compile on the same configurations (minutes of tuning each;
# COMPILE_MATHS="1 0 1,0 1 1", say, compiles only those precisions, first), and with
# NO_RACECHECK=1 the racecheck is left out, all the time to the benchmarks.
# Everything lands in OUTDIR as check2.tgz.
#
# usage: bash bench/gpu_lease2.sh OUTDIR      DEADLINE seconds for all of it (default 240)
set -u
out=${1:?usage: bench/gpu_lease2.sh OUTDIR}
deadline=${DEADLINE:-240}
here=$(cd "$(dirname "$0")/.." && pwd)
t0=$(date +%s)
left() { echo $((deadline - ($(date +%s) - t0))); }
mkdir -p "$out/check2"
[ -z "${NO_RACECHECK:-}" ] && [ "$(left)" -gt 60 ] && GPU_CHECK_REUSE=1 GPU_CHECK_SANITIZE_ONLY=racecheck timeout $(($(left) - 40)) \
  bash "$here/bench/gpu_check.sh" "$out/check2" 2>&1 | grep -E '^==|exit|SUMMARY|hazard'
# timeout stops gpu_check.sh, but compute-sanitizer and the test under it can outlive it and
# share the GPU with what is timed next (2026-12-04, night: the GEMM rates measured beside
# them were half the first call's)
bash "$here/bench/gpu_leftovers.sh"
echo "== benchmarks at $(($(date +%s) - t0)) s, $(left) s left"
[ "$(left)" -gt 30 ] && env GPU_CHECK_BENCH_ONLY=1 GPU_CHECK_GRAPHS=on ${COMPILE:+GPU_CHECK_COMPILE=1} ${COMPILE_MATHS:+GPU_CHECK_COMPILE_MATHS="$COMPILE_MATHS"} \
  GPU_CHECK_CONFIGS="${CONFIGS:-16 64}" timeout $(($(left) - 10)) bash "$here/bench/gpu_check.sh" "$out/check2" 2>&1 |
  grep '^{' | cut -c1-200
python3 "$here/bench/gpu_ratios.py" "$out/check2" 2>/dev/null | tee "$out/check2/ratios.md"
(cd "$out" && tar czf check2.tgz check2 && rm -rf check2)
ls -la "$out"
