#!/usr/bin/env bash
# Builds the fuzz targets (clang, libFuzzer, ASan + UBSan: tests/fuzz/README.md) into
# build-fuzz/ and runs each for SECONDS (default 1800), JOBS at a time (default: the
# number of cores), then prints one line per target: executions, coverage, corpus,
# crashes. What a run finds stays in build-fuzz/fuzz-work/NAME/{corpus,artifacts}.
#   bash scripts/fuzz.sh [SECONDS] [JOBS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-1800}
JOBS=${2:-$(nproc)}
shift $(( $# > 2 ? 2 : $# ))
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(import police_uk datetime city train_config tensor_file model_file)
fi
CC=clang cmake -S . -B build-fuzz -DCRIMECAST_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j "$(nproc)" >/dev/null
mkdir -p build-fuzz/fuzz-logs
run_one() {
  local name=$1
  bash tests/fuzz/run.sh "build-fuzz/tests/fuzz/fuzz_$name" "$name" "$SECONDS_EACH" build-fuzz/fuzz-work \
    >"build-fuzz/fuzz-logs/$name.log" 2>&1 || true
}
running=0
for name in "${TARGETS[@]}"; do
  echo "[$(date +%H:%M:%S)] fuzz_$name: ${SECONDS_EACH} s" >&2
  run_one "$name" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait
printf "%-13s %10s %10s %8s %7s %10s %8s\n" target seconds execs exec/s cov features crashes
status=0
for name in "${TARGETS[@]}"; do
  log=build-fuzz/fuzz-logs/$name.log
  execs=$(grep -a -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' | tail -1)
  last=$(grep -a -E '^#[0-9]+' "$log" | tail -1)
  cov=$(echo "$last" | grep -o 'cov: [0-9]*' | awk '{print $2}')
  ft=$(echo "$last" | grep -o 'ft: [0-9]*' | awk '{print $2}')
  crashes=$(find "build-fuzz/fuzz-work/$name/artifacts" -type f 2>/dev/null | wc -l)
  rate=$(( ${execs:-0} / (SECONDS_EACH > 0 ? SECONDS_EACH : 1) ))
  printf "%-13s %10s %10s %8s %7s %10s %8s\n" "$name" "$SECONDS_EACH" "${execs:-?}" "$rate" "${cov:-?}" "${ft:-?}" "$crashes"
  if [ "$crashes" -gt 0 ] || [ -z "$execs" ]; then status=1; fi
done
exit $status
