#!/usr/bin/env bash
# The full program on a GPU machine from the bundle (scripts/gpu_bundle.sh), on tensor
# files made here (`raster --cell 150 --layout sparse`): info, then for each tensor
# train on the GPU (timed, with the GPU's peak memory from nvidia-smi), predict, the
# baselines, eval at a patrol's areas and a PNG. kernels/README.md, "The GPU bundle",
# has the commands that carry the bundle and the tensors there.
#
# usage: scripts/gpu_run.sh BUNDLE(.tar.xz or folder) OUTDIR TENSOR.h5...
#        (OUTDIR gets machine.log, and per tensor its log, eval CSV, nvidia-smi trace and PNG: 4 files;
#        the model and forecast files stay in a scratch folder)
# Environment: DEVICE (cuda; cpu to try the script where there is no GPU), TRAIN_ARGS
# (extra train options, e.g. "--epochs 20 --batch 8"), BASELINES (default
# "persistence histavg kde etas"), TIMEOUT_TRAIN (seconds, default 1800), PYTORCH_E2E
# (e.g. "EPOCHS=2 BATCH=8": bench/train_e2e_vs_pytorch.sh on each tensor after its
# training, its JSON line kept as NAME.e2e.json; PYTHON the interpreter with PyTorch),
# KEEP_MODEL=1 (the trained model file also in OUTDIR, as NAME.model.h5.xz, to forecast
# with it elsewhere). TRAIN_ARGS_NAME and PYTORCH_E2E_NAME (NAME the tensor file's name
# without .h5, e.g. TRAIN_ARGS_sanfrancisco150) set them for one tensor; set empty, the
# latter skips that tensor's comparison. TUNE_ARGS (or TUNE_ARGS_NAME; e.g. "--model
# convlstm-ae --down 4 --batch 8 --budget 8 --epochs 12 --patience 3"): first `crimecast
# tune` on the tensor (its table in NAME.tune.log), then train runs with the winner's
# configuration (--config, before TRAIN_ARGS) and everything after uses that model: a
# network chosen on the validation span only, then scored once on the test span.
set -u -o pipefail
bundle=${1:?usage: scripts/gpu_run.sh BUNDLE OUTDIR TENSOR.h5...}
out=${2:?usage: scripts/gpu_run.sh BUNDLE OUTDIR TENSOR.h5...}
shift 2
device=${DEVICE:-cuda}
mkdir -p "$out"
work=$(mktemp -d)
if [ -f "$bundle" ]; then
  dir=$work/bundle
  mkdir -p "$dir"
  tar -C "$dir" -xJf "$bundle" || exit 1
  bundle=$(ls -d "$dir"/*/ | head -1)
fi
cc="$(cd "$bundle" && pwd)/crimecast"
step() { echo; echo "== $* ($(date -u +%T))"; }
now() { date +%s.%N; }

step machine
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "no nvidia-smi"
  "$cc" info
} 2>&1 | tee "$out/machine.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1

status=0
for tensor in "$@"; do
  name=$(basename "$tensor" .h5)
  log="$out/$name.log"
  own_args="TRAIN_ARGS_${name//[^A-Za-z0-9_]/_}" own_e2e="PYTORCH_E2E_${name//[^A-Za-z0-9_]/_}"
  own_tune="TUNE_ARGS_${name//[^A-Za-z0-9_]/_}"
  train_args=${TRAIN_ARGS:-} e2e=${PYTORCH_E2E:-} tune_args=${TUNE_ARGS:-}
  [ -n "${!own_args+set}" ] && train_args=${!own_args}
  [ -n "${!own_e2e+set}" ] && e2e=${!own_e2e}
  [ -n "${!own_tune+set}" ] && tune_args=${!own_tune}
  if [ -n "$tune_args" ]; then
    step "$name: tune on the $device ($tune_args)"
    t0=$(now)
    # shellcheck disable=SC2086 # tune_args is a list of options
    if "$cc" tune --data "$tensor" --out "$work/$name.tune.json" --keep "$work/tune_$name" $tune_args \
      >"$out/$name.tune.log" 2>&1; then
      cat "$out/$name.tune.log"
      echo "tune: $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s" | tee -a "$out/$name.tune.log"
      train_args="--config $work/$name.tune.json $train_args"
    else
      status=1; tail -5 "$out/$name.tune.log"; continue
    fi
  fi
  step "$name: train on the $device"
  smi=""
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 >"$out/$name.smi" 2>/dev/null &
    smi=$!
  fi
  t0=$(now)
  # shellcheck disable=SC2086
  timeout "${TIMEOUT_TRAIN:-1800}" "$cc" train --data "$tensor" --out "$work/$name.model.h5" --device "$device" \
    $train_args >"$log" 2>&1
  rc=$?
  t1=$(now)
  [ -n "$smi" ] && kill "$smi" 2>/dev/null
  grep -E '^(training|memory planned|resident windows|epoch|.*best epoch|time:)' "$log" | tail -10
  # the figures also go to the log, which comes back whole where stdout may be cut short
  echo "train: exit $rc, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s wall" | tee -a "$log"
  [ -s "$out/$name.smi" ] && echo "GPU memory used, peak: $(sort -n "$out/$name.smi" | tail -1) MiB (nvidia-smi, every 200 ms)" |
    tee -a "$log"
  [ $rc -eq 0 ] || { status=1; tail -5 "$log"; continue; }
  if [ "${KEEP_MODEL:-0}" = 1 ] && ! xz -T0 -c "$work/$name.model.h5" >"$out/$name.model.h5.xz"; then
    status=1; rm -f "$out/$name.model.h5.xz"
  fi
  if [ -n "$e2e" ]; then # e.g. "EPOCHS=2 BATCH=8": the same training in PyTorch, timed
    step "$name: end to end against PyTorch ($e2e)"
    # shellcheck disable=SC2086 # e2e is a list of assignments
    if env $e2e CRIMECAST="$cc" DEVICE="$device" PYTHON="${PYTHON:-python3}" \
      bash "$(dirname "$0")/../bench/train_e2e_vs_pytorch.sh" "$tensor" "$work/e2e_$name" >>"$log" 2>&1; then
      tail -1 "$log" | tee "$out/$name.e2e.json"
    else
      status=1; tail -3 "$log"
    fi
  fi

  step "$name: predict, baselines"
  forecasts=("$work/$name.convlstm.h5")
  "$cc" predict --model "$work/$name.model.h5" --data "$tensor" --out "$work/$name.convlstm.h5" --device "$device" >>"$log" 2>&1 ||
    { status=1; tail -3 "$log"; }
  for method in ${BASELINES:-persistence histavg kde etas}; do
    t0=$(now)
    if "$cc" baseline --data "$tensor" --method "$method" --out "$work/$name.$method.h5" >>"$log" 2>&1; then
      forecasts+=("$work/$name.$method.h5")
      echo "baseline $method: $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s" | tee -a "$log"
    else
      status=1; tail -3 "$log"
    fi
  done

  step "$name: eval (deviance, MSE; hit rate, PAI, PEI at 0.5 and 1 km2 and 1% of the area)"
  "$cc" eval --data "$tensor" "${forecasts[@]}" --area 0.5km2,1km2 --topk 1 --csv >"$out/$name.eval.csv" 2>>"$log" ||
    status=1
  network=$(awk -F, 'NR == 2 { print $1 }' "$out/$name.eval.csv") # the model name --versus takes (convlstm-ae, ...)
  if [ -n "$network" ]; then
    "$cc" eval --data "$tensor" "${forecasts[@]}" --area 0.5km2,1km2 --topk 1 --versus "$network" 2>&1 | tee -a "$log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  fi
  "$cc" eval --data "$tensor" "${forecasts[@]}" --hotspot occurrence --topk 1 2>&1 | tee -a "$log" | head -20
  step "$name: png"
  if "$cc" png --in "$work/$name.convlstm.h5" --all --out "$work/$name.png" >>"$log" 2>&1; then
    first=$(ls "$work/$name.png" | head -1)
    cp "$work/$name.png/$first" "$out/$name.png" && echo "$out/$name.png ($first, the first forecast bin)"
  fi
done
exit $status
