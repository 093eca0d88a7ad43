#!/usr/bin/env bash
# Runs one fuzz target for a fixed time on its corpus:
#   bash tests/fuzz/run.sh FUZZER NAME SECONDS WORKDIR [libFuzzer options...]
# The committed seeds (tests/fuzz/corpus/NAME) are read, never written: what the run
# finds goes to WORKDIR/NAME/corpus, a crashing input to WORKDIR/NAME/artifacts (exit
# non-zero). Extra options pass through, e.g. -jobs=2 -workers=2 for a longer run.
set -euo pipefail
if [ $# -lt 4 ]; then
  echo "usage: bash tests/fuzz/run.sh FUZZER NAME SECONDS WORKDIR [libFuzzer options...]" >&2
  exit 2
fi
fuzzer=$1 name=$2 seconds=$3 work=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work/$name/corpus" "$work/$name/artifacts"
dict=()
if [ -f "$here/dict/$name.dict" ]; then dict=("-dict=$here/dict/$name.dict"); fi
# A single allocation over 2 GiB is a finding: a reader must refuse a size it cannot
# have before allocating it. Leaks are findings too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec "$fuzzer" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -malloc_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$work/$name/artifacts/" "${dict[@]}" "$@" \
  "$work/$name/corpus" "$here/corpus/$name"
