#!/usr/bin/env bash
# End-to-end training time, crimecast against PyTorch on the same tensor file (issue 28):
# `crimecast train` and bench/pytorch_train.py train the same convlstm-ae (the same
# inputs: normalised counts and the 52-bin average as offset; no context maps, recency
# maps or skip path, which the PyTorch script does not build) for the same epochs, batch
# and loss, on the same device. Each is timed as a whole process (reading the file,
# training, validation every epoch; crimecast also writes its model file), one after the
# other; the JSON line at the end gives both, their ratio, and each run's validation
# losses (they start level - both begin as the 52-bin average - and should stay close).
# The PyTorch script runs as its users write it (cudnn.benchmark, non-deterministic
# algorithms allowed); crimecast by default is deterministic, so CRIMECAST_ALSO (say
# "--conv=cudnn --deterministic=off": in FP32 auto's GEMM path is deterministic either
# way) times crimecast a second time with those options added,
# its figures in the JSON line's crimecast_also_* keys.
#
# usage: bash bench/train_e2e_vs_pytorch.sh TENSOR.h5 [OUTDIR]
#        DEVICE=cpu|cuda (default cpu), EPOCHS (8), BATCH (8), DOWN (4), FEATURES (16),
#        THREADS (default: the CPU's cores), TF32 (0: plain FP32 on both), CRIMECAST
#        (default build/crimecast), PYTHON (default /usr/bin/python3), ROUNDS (1: each side
#        once; N: N alternating rounds, medians reported)
set -euo pipefail
tensor=${1:?usage: train_e2e_vs_pytorch.sh TENSOR.h5 [OUTDIR]}
out=${2:-$(mktemp -d)}
here=$(cd "$(dirname "$0")/.." && pwd)
cc=${CRIMECAST:-$here/build/crimecast}
py=${PYTHON:-/usr/bin/python3}
device=${DEVICE:-cpu} epochs=${EPOCHS:-8} batch=${BATCH:-8} down=${DOWN:-4} features=${FEATURES:-16}
threads=${THREADS:-$(nproc)} tf32=${TF32:-0}
mkdir -p "$out"
now() { date +%s.%N; }

precision=()
[ "$tf32" = 1 ] && precision=(--precision tf32)
# crimecast_run NAME [OPTIONS...]: one whole training process (log and model file
# OUTDIR/NAME.log and .h5), its wall seconds on stdout; a failed run fails the script
# (`set -e` does not reach into a command substitution: hence the return)
crimecast_run() {
  local name=$1 start
  shift
  start=$(now)
  "$cc" train --data "$tensor" --out "$out/$name.h5" --model convlstm-ae --down "$down" --features "$features" \
    --context off --recency off --level-gate off --skip 0 --baseline 52 --batch "$batch" --epochs "$epochs" \
    --patience "$epochs" --seed 1 --device "$device" --threads "$threads" "${precision[@]}" "$@" |
    tee "$out/$name.log" >&2 || return 1
  awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }'
}
# ROUNDS rounds, each crimecast then PyTorch, alternating so that a drift of the machine
# (clocks, another tenant) falls on both; every figure is the median over the rounds
# (the lists are in the JSON line), the logs the last round's.
also=${CRIMECAST_ALSO:-}
crimecast_each="" pytorch_each="" also_each=""
for ((round = 1; round <= ${ROUNDS:-1}; round++)); do
  crimecast_each+="$(crimecast_run crimecast),"
  # shellcheck disable=SC2086 # CRIMECAST_ALSO is a list of options
  [ -n "$also" ] && also_each+="$(crimecast_run crimecast_also $also),"
  start=$(now)
  "$py" "$here/bench/pytorch_train.py" "$tensor" --epochs "$epochs" --batch "$batch" --down "$down" \
    --features "$features" --device "$device" --threads "$threads" --tf32 "$tf32" | tee "$out/pytorch.log"
  pytorch_each+="$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }'),"
done

"$py" - "$out" "$crimecast_each" "$pytorch_each" "$also" "$also_each" <<'EOF'
import json, re, statistics, sys
out, also = sys.argv[1], sys.argv[4]
each = lambda text: [float(s) for s in text.split(",") if s]
cc_each, pt_each, also_each = each(sys.argv[2]), each(sys.argv[3]), each(sys.argv[5])
cc_s, pt_s = statistics.median(cc_each), statistics.median(pt_each)
also_s = statistics.median(also_each) if also_each else 0

def crimecast_log(name):  # validation losses epoch by epoch, and train's phases (its last line)
    text = open("%s/%s.log" % (out, name)).read()
    val = [float(v) for v in re.findall(r"^epoch [0-9]+: .*validation loss (-?[0-9.]+)", text, re.M)]
    phases = re.findall(r"^time: (.*)$", text, re.M)
    return val, phases[-1] if phases else None

pt = json.loads(open(out + "/pytorch.log").read().strip().splitlines()[-1])
cc_val, cc_phases = crimecast_log("crimecast")
record = {"device": pt["device"], "gpu": pt["gpu"], "tensor": pt["tensor"], "epochs": pt["epochs"],
          "batch": pt["batch"], "down": pt["down"], "features": pt["features"], "tf32": pt["tf32"],
          "crimecast_seconds": round(cc_s, 2), "pytorch_seconds": round(pt_s, 2),
          "pytorch_train_seconds": round(pt["train_seconds"], 2),
          "ratio_pytorch_over_crimecast": round(pt_s / cc_s, 3), "rounds": len(cc_each),
          "crimecast_seconds_each": [round(s, 2) for s in cc_each], "pytorch_seconds_each": [round(s, 2) for s in pt_each],
          "crimecast_val_loss": cc_val, "pytorch_val_loss": pt["val_loss"], "crimecast_phases": cc_phases,
          "pytorch_peak_gpu_bytes": pt["peak_gpu_bytes"]}
if also:
    also_val, also_phases = crimecast_log("crimecast_also")
    record.update({"crimecast_also_args": also, "crimecast_also_seconds": round(also_s, 2),
                   "ratio_pytorch_over_crimecast_also": round(pt_s / also_s, 3),
                   "crimecast_also_val_loss": also_val, "crimecast_also_phases": also_phases})
print(json.dumps(record))
EOF
