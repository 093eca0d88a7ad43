#!/usr/bin/env bash
# One short GPU lease (15 minutes of device time, one call of at most 10), in order of
# value, each step cut to the time left: the full program from the bundle on Chicago at
# 150 m (issue 28: train, the PyTorch end-to-end comparison, predict, eval, png) and, when
# LEASE_SF=1 asks (it ran on 2026-12-04, late), San Francisco at 150 m with the network its validation span chose
# (ST-ResNet S16, bench/patrol_st_resnet.sh);
# then, once those timed runs are done, the compute core's build, the GPU tests, parity
# on seeds 1-3 and memcheck (bench/gpu_check.sh
# GPU_CHECK_QUICK=1); then issue 29's benchmarks on the configs that fit. Everything
# lands in OUTDIR as run.tgz (packed as soon as the run ends) and check.tgz (a lease
# brings back at most 8 files).
#
# usage: bash bench/gpu_lease.sh OUTDIR [BUNDLE.tar.xz TENSOR.h5...]   (LEASE_STEP_ONLY=1:
#        no full-program run, only the compute core's tests and benchmarks)
#        (default gpu-carry/gpu-bundle.tar.xz, gpu-carry/chicago150.h5 and, with LEASE_SF=1,
#        gpu-carry/sanfrancisco150.h5: kernels/README.md, "The GPU bundle", says how to
#        make them); DEADLINE seconds for all of it (565), CONFIGS for the benchmarks
#        (default "64 64,8 256 --channels 12 --down 4").
set -u
out=${1:?usage: bench/gpu_lease.sh OUTDIR [BUNDLE.tar.xz TENSOR.h5...]}
bundle=${2:-gpu-carry/gpu-bundle.tar.xz}
shift $(($# > 1 ? 2 : 1))
tensors=("$@")
if [ ${#tensors[@]} -eq 0 ]; then
  tensors=(gpu-carry/chicago150.h5)
  [ -n "${LEASE_SF:-}" ] && [ -f gpu-carry/sanfrancisco150.h5 ] && tensors+=(gpu-carry/sanfrancisco150.h5)
fi
deadline=${DEADLINE:-565}
here=$(cd "$(dirname "$0")/.." && pwd)
t0=$(date +%s)
left() { echo $((deadline - ($(date +%s) - t0))); }
mkdir -p "$out/check" "$out/run"
# The compute core builds after the timed runs, not beside them: 16 nvcc jobs, even
# niced, share the caches and memory bandwidth the host phases of train and the PyTorch
# comparison are timed on (on 2026-12-04 they overlapped).
# LEASE_TUNE=1: Chicago's network is chosen by `crimecast tune` on the validation span (8
# convlstm-ae candidates at batch 8, at most 12 epochs each) instead of the fixed 8-epoch
# run, then scored on the test span: about 5 minutes, so little is left for the rest.
tune_chicago="" train_chicago="--model convlstm-ae --down 4 --batch 8 --seed 1 --epochs 8 --patience 3"
e2e_chicago="EPOCHS=2 BATCH=8 ROUNDS=2"
# with LEASE_TUNE the winner's configuration says it all, and the PyTorch comparison waits
[ -n "${LEASE_TUNE:-}" ] && tune_chicago="--model convlstm-ae --down 4 --batch 8 --budget 8 --epochs 12 --patience 3" \
  train_chicago="" e2e_chicago=""
# LEASE_STEP_ONLY=1 leaves out the full program's runs (issue 28's measurements) and gives
# their 2-5 minutes to issue 29's tests and benchmarks.
[ "${LEASE_STEP_ONLY:-0}" = 1 ] && tensors=()
[ ${#tensors[@]} -gt 0 ] && KEEP_MODEL=1 TIMEOUT_TRAIN=240 BASELINES=histavg PYTORCH_E2E="EPOCHS=2 BATCH=8 ROUNDS=2" \
  TUNE_ARGS_chicago150="$tune_chicago" TRAIN_ARGS_chicago150="$train_chicago" PYTORCH_E2E_chicago150="$e2e_chicago" \
  TRAIN_ARGS="--model convlstm-ae --down 4 --batch 8 --seed 1 --epochs 8 --patience 3" \
  TRAIN_ARGS_sanfrancisco150="--model st-resnet --features 16 --resunits 2 --batch 8 --seed 1 --epochs 16 --patience 3" \
  PYTORCH_E2E_sanfrancisco150="" \
  timeout $(($(left) - 200)) bash "$here/scripts/gpu_run.sh" "$bundle" "$out/run" "${tensors[@]}"
run_rc=$?
if [ ${#tensors[@]} -gt 0 ]; then
  echo "gpu_run: exit $run_rc at $(($(date +%s) - t0)) s"
  (cd "$out" && tar czf run.tgz run && rm -rf run)
else
  rmdir "$out/run"
fi
# `timeout 0` means no limit, and a negative one fails: each step runs only with time left
# for its margin, so the call ends, packed, inside its 600 s
[ "$(left)" -gt 120 ] && timeout $(($(left) - 100)) env GPU_CHECK_BUILD_ONLY=1 bash "$here/bench/gpu_check.sh" \
  "$out/check" >"$out/check/build_step.log" 2>&1
echo "build rc=$? at $(($(date +%s) - t0)) s" | tee -a "$out/check/build_step.log"
echo "== tests at $(($(date +%s) - t0)) s, $(left) s left"
[ "$(left)" -gt 90 ] && GPU_CHECK_QUICK=1 GPU_CHECK_REUSE=1 timeout $(($(left) - 60)) bash "$here/bench/gpu_check.sh" "$out/check" 2>&1
# what a timeout left of the tests (compute-sanitizer outlives gpu_check.sh) must not share
# the GPU with the benchmarks
bash "$here/bench/gpu_leftovers.sh"
echo "== benchmarks at $(($(date +%s) - t0)) s, $(left) s left"
[ "$(left)" -gt 40 ] && GPU_CHECK_BENCH_ONLY=1 GPU_CHECK_GRAPHS=on GPU_CHECK_PROFILE=1 GPU_CHECK_CONFIGS="${CONFIGS:-64 64,8 256 --channels 12 --down 4}" \
  timeout $(($(left) - 10)) bash "$here/bench/gpu_check.sh" "$out/check" 2>&1 | grep '^{' | cut -c1-300
python3 "$here/bench/gpu_ratios.py" "$out/check" 2>/dev/null | tee "$out/check/ratios.md"
(cd "$out" && tar czf check.tgz check && rm -rf check)
ls -la "$out"
