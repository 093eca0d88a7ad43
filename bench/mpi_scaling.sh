#!/usr/bin/env bash
# Scaling of `crimecast train` from one process to N MPI ranks on the CPU (issue 33).
#
# On Chicago 2012-2017, weekly, 64 x 64 (the tensor of forecast_tables.sh's chicago64
# table, made here if OUTDIR lacks it), the default ConvLSTM, --batch 16, a fixed number
# of epochs (no early stop), seed 1, each run timed whole (start-up included):
#   1 process, 1 thread           the unit of work
#   1 process, N threads          what one process makes of the cores
#   N ranks, 1 thread each        data parallel: each rank a share of every batch
# and, for the seed ensemble (independent members, no communication per step):
#   --seeds N, 1 process, N threads   against   --seeds N over N ranks, 1 thread each.
# The data-parallel run must give the 1-process losses (printed side by side) - the
# bench also checks that the two runs trained the same model.
#
# usage: bench/mpi_scaling.sh OUTDIR [RANKS (default 2)] [EPOCHS (default 2)]
# Run it on an otherwise idle machine: the figures are ratios between runs of one script.
set -euo pipefail
out=${1:?usage: mpi_scaling.sh OUTDIR [RANKS] [EPOCHS]}
ranks=${2:-2}
epochs=${3:-2}
here=$(cd "$(dirname "$0")/.." && pwd)
cc=${CRIMECAST:-$here/build/crimecast}
shared=${SHARED:-$here/../shared/data}
mkdir -p "$out"
log() { echo "[$(date -u +%T)] $*" >&2; }
# Open MPI refuses root unless told; the test harness does the same (tests/integration/mpi_train_test.py).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpi=(mpirun --oversubscribe --bind-to none -np "$ranks")

tensor="$out/chicago64/tensor.h5"
if [ ! -e "$tensor" ]; then
    log "import and raster Chicago 2012-2017, weekly 64 x 64"
    mkdir -p "$out/chicago64"
    [ -e "$out/crimecast.db" ] || "$cc" import --city chicago --db "$out/crimecast.db" \
        "$shared"/chicago/chicago_2012_2014.csv.gz "$shared"/chicago/chicago_2015_2017.csv.gz >/dev/null
    "$cc" raster --city chicago --db "$out/crimecast.db" --from 2012-01-02 --to 2018-01-01 --bin week --grid 64 \
        --categories burglary \
        --out "$tensor" >/dev/null
fi

common=(train --data "$tensor" --device cpu --batch 16 --seed 1 --epochs "$epochs" --patience "$epochs")
results="$out/mpi_scaling.txt"
: >"$results"

timed() { # timed NAME COMMAND...: runs it, appends "NAME seconds" to the results
    local name=$1 start end
    shift
    log "$name"
    start=$EPOCHREALTIME
    "$@" >"$out/$name.log" 2>&1
    end=$EPOCHREALTIME
    awk -v n="$name" -v a="$start" -v b="$end" 'BEGIN { printf "%s %.2f\n", n, b - a }' >>"$results"
}

timed one_process_1_thread "$cc" "${common[@]}" --threads 1 --out "$out/p1t1.h5"
timed one_process_${ranks}_threads "$cc" "${common[@]}" --threads "$ranks" --out "$out/p1tN.h5"
timed ${ranks}_ranks_1_thread "${mpi[@]}" "$cc" "${common[@]}" --threads 1 --out "$out/pNt1.h5"
timed seeds_one_process "$cc" "${common[@]}" --seeds "$ranks" --threads "$ranks" --out "$out/seeds_p1.h5"
timed seeds_over_ranks "${mpi[@]}" "$cc" "${common[@]}" --seeds "$ranks" --threads 1 --out "$out/seeds_pN.h5"

/usr/bin/python3 - "$out" "$ranks" <<'EOF'
import sys, h5py, numpy as np
out, ranks = sys.argv[1], int(sys.argv[2])
t = dict(line.split() for line in open(f"{out}/mpi_scaling.txt"))
t = {k: float(v) for k, v in t.items()}
one = t["one_process_1_thread"]
print(f"{'run':32s} {'seconds':>8s} {'speed-up over 1 thread':>24s}")
for name, sec in t.items():
    print(f"{name:32s} {sec:8.1f} {one / sec:24.2f}")
print(f"seed ensemble: {ranks} ranks are {t['seeds_one_process'] / t['seeds_over_ranks']:.2f}x one process of {ranks} threads")
a, b = h5py.File(f"{out}/p1t1.h5", "r"), h5py.File(f"{out}/pNt1.h5", "r")
for key in ("train_loss", "val_loss"):
    x, y = a["history"][key][:], b["history"][key][:]
    print(f"{key} per epoch, 1 process: {np.array2string(x, precision=6)}; {ranks} ranks: {np.array2string(y, precision=6)}; "
          f"largest relative difference {np.max(np.abs(x - y) / np.abs(x)):.2e}")
EOF
