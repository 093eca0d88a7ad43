#!/usr/bin/env bash
# The GPU session's checks in one run, for a lent machine that has CUDA, CMake and
# PyTorch but none of our Debian libraries (kernels/README.md, "Building on the GPU
# machine"): build the compute core (-DCRIMECAST_IO=OFF) for the device's architecture,
# run the `gpu` tests, the CUDA/CPU parity tests (each op, and a whole training step) on
# fixed seeds, compute-sanitizer memcheck and racecheck on them, then `crimecast bench
# train` on the GPU and PyTorch's eager ConvLSTM step (cuDNN) on the standard configs,
# FP32 and TF32, in the same run.
#
# usage: bench/gpu_check.sh [OUTDIR]     (logs go to OUTDIR, default ./gpu-check)
#        GPU_CHECK_QUICK=1 bench/gpu_check.sh OUTDIR: the tests and memcheck only, for a
#        short lease (no racecheck, no benchmarks)
set -u -o pipefail
out=${1:-gpu-check}
mkdir -p "$out"
arch=${CRIMECAST_CUDA_ARCH:-90}
step() { echo; echo "== $* ($(date -u +%T))"; }

step machine
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv
nvcc --version | tail -2

# cuBLAS and cuDNN: the toolkit's when it has them, else PyTorch's wheels.
site=$(python3 -c 'import site; print(site.getsitepackages()[0])' 2>/dev/null || true)
cuda_lib=$(dirname "$(command -v nvcc)")/../lib64
roots=()
if ! ls "$cuda_lib"/libcublas.so* >/dev/null 2>&1; then
  for d in "$site/nvidia/cu13" "$site/nvidia/cublas"; do
    [ -e "$d/include/cublas_v2.h" ] && { roots+=(-DCUBLAS_ROOT="$d"); export LD_LIBRARY_PATH="$d/lib:${LD_LIBRARY_PATH:-}"; break; }
  done
fi
if ! ls "$cuda_lib"/libcudnn.so* >/dev/null 2>&1 && [ -e "$site/nvidia/cudnn/include/cudnn.h" ]; then
  roots+=(-DCUDNN_ROOT="$site/nvidia/cudnn")
  export LD_LIBRARY_PATH="$site/nvidia/cudnn/lib:${LD_LIBRARY_PATH:-}"
fi
if ! ls "$cuda_lib"/libnccl.so* >/dev/null 2>&1 && [ -e "$site/nvidia/nccl/include/nccl.h" ]; then
  roots+=(-DNCCL_ROOT="$site/nvidia/nccl") # the data-parallel GPU sums (test_train_cuda: world size 1)
  export LD_LIBRARY_PATH="$site/nvidia/nccl/lib:${LD_LIBRARY_PATH:-}"
fi
echo "library roots: ${roots[*]:-(toolkit)}"

step build
rm -rf build-gpu
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DCRIMECAST_IO=OFF -DCRIMECAST_CUDA=ON \
      -DCRIMECAST_CUDNN=ON -DCRIMECAST_WERROR=ON -DCMAKE_CUDA_ARCHITECTURES="$arch" "${roots[@]}" \
      >"$out/configure.log" 2>&1 || { tail -30 "$out/configure.log"; exit 1; }
grep 'crimecast:' "$out/configure.log"
cmake --build build-gpu -j"$(nproc)" >"$out/build.log" 2>&1 || { tail -40 "$out/build.log"; exit 1; }
echo built

step "ctest -L gpu"
ctest --test-dir build-gpu -L gpu --output-on-failure 2>&1 | tee "$out/ctest_gpu.log" | tail -15

status=0
for test in ops step train; do
  step "$test parity on fixed seeds"
  for seed in 1 2 3; do
    CRIMECAST_TEST_SEED=$seed build-gpu/tests/test_${test}_cuda >"$out/last.log" 2>&1
    rc=$?; echo "seed $seed: exit $rc: $(tail -1 "$out/last.log")"
    cat "$out/last.log" >>"$out/${test}_parity.log"
    [ $rc -eq 0 ] || { status=1; grep -v '^  \[' "$out/last.log" | tail -20; }
  done
  grep '^  \[' "$out/${test}_parity.log" | head -5
done

command -v compute-sanitizer >/dev/null || export PATH="$PATH:$(dirname "$(command -v nvcc)")"
tools="memcheck racecheck"
[ -n "${GPU_CHECK_QUICK:-}" ] && tools=memcheck
for tool in $tools; do
  tests="ops step train"
  # racecheck on test_train_cuda outran 100 s on an H200; its kernels are the ones the other two run
  [ $tool = racecheck ] && tests="ops step"
  for test in $tests; do
    step "compute-sanitizer $tool, test_${test}_cuda"
    CRIMECAST_TEST_SEED=1 timeout 120 compute-sanitizer --tool $tool --error-exitcode 9 \
      build-gpu/tests/test_${test}_cuda >"$out/sanitizer.log" 2>&1
    rc=$?; echo "exit $rc"; grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|checks' "$out/sanitizer.log" | tail -3
    [ $rc -eq 0 ] || { status=1; grep -m5 -E 'Error|hazard' "$out/sanitizer.log"; }
  done
done

[ -n "${GPU_CHECK_QUICK:-}" ] && { rm -f "$out/last.log"; exit $status; }
step "bench train: crimecast on the GPU, then PyTorch eager (cuDNN), FP32 and TF32"
for cfg in "16 32" "64 32" "16 64" "64 64"; do
  set -- $cfg
  for conv in gemm cudnn; do
    for tf32 in "" --tf32; do
      timeout 60 build-gpu/crimecast bench train --device cuda --conv $conv $tf32 --batch $1 --grid $2 --warmup 2 --steps 10 \
        --json 2>&1 | tee -a "$out/bench_crimecast.jsonl"
    done
  done
  for tf32 in 0 1; do
    python3 bench/pytorch_convlstm.py --device cuda --tf32 $tf32 --batch $1 --grid $2 --warmup 2 --steps 10 \
      2>&1 | tee -a "$out/bench_pytorch.jsonl"
  done
done
build-gpu/crimecast bench train --device cuda --batch 64 --grid 64 --steps 5 2>&1 | tail -2
rm -f "$out/last.log"
exit $status
