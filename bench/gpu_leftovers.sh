#!/usr/bin/env bash
# Kills what a timed-out GPU test step can leave behind (compute-sanitizer and the test
# under it outlive `timeout` of the script that started them), so that nothing shares the
# GPU with what is timed next: on 2026-12-04, night, the GEMM rates measured beside such a
# leftover were half the call before's. Run (not sourced: it exits) by bench/gpu_lease.sh
# and bench/gpu_lease2.sh; the patterns are anchored to the programs' own paths.
pkill -KILL -f '^[^ ]*compute-sanitizer( |$)' 2>/dev/null
pkill -KILL -f '^[^ ]*/test_(ops|step|train)_cuda( |$)' 2>/dev/null
sleep 1
exit 0
