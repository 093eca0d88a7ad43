#!/usr/bin/env bash
# ST-ResNet at patrol resolution (issues 28 and 32): 150 m cells, weekly, the default
# split, on the tensors of bench/patrol_tables.sh, beside the convlstm-ae that
# bench/patrol_network.sh chose there. Until samples held only the lags a model reads
# (models/sample_lags.h) an ST-ResNet sample carried all 52 weeks of its window with their
# context maps, 2.2 GB on Chicago's grid; now 5 of them.
#
# The rule, written 2026-12-03 18:05 UTC before these runs (the convlstm-ae's validation
# and test figures are known: bench/RESULTS.md; nothing of the test span is read here
# before the choice): two ST-ResNet candidates with train's defaults (closeness 3, period
# 1 at 13 weeks, trend 1 at 52 weeks, context and recency maps, the 3x3 skip path, the
# 52-week average as offset, Poisson loss), batch 8, seed 1, at most EPOCHS epochs (the
# convlstm-ae's first-round budget: Chicago 8, San Francisco 16) with patience 3:
#   S16  16 filters, 2 residual units per branch (train's defaults)
#   S32  32 filters, 1 residual unit
# The lowest best validation loss among S16, S32 and the convlstm-ae chosen before
# (CONVLSTM=its model file; its best_val) picks the city's network. Only when an ST-ResNet
# is picked does it forecast the test span, once (st_network.h5), scored beside the
# baselines by bench/patrol_tables.sh (NETWORK_<city>).
#
# usage: bash bench/patrol_st_resnet.sh OUTDIR [chicago|sanfrancisco]
#        CONVLSTM=the convlstm-ae's model file (or CONVLSTM_VAL=its best validation loss,
#        from bench/RESULTS.md, when the file is gone); TENSOR, CRIMECAST, DEVICE,
#        CANDIDATES as in bench/patrol_network.sh; THREADS per candidate (default: train's).
set -euo pipefail
NAME=patrol_st_resnet.sh LOG_NAME=st_log.txt
# shellcheck source=bench/patrol_common.sh
source "$(dirname "$0")/patrol_common.sh"
run="$out/$city/st"
mkdir -p "$run"
threads=()
[ -n "${THREADS:-}" ] && threads=(--threads "$THREADS")

declare -A options=([S16]="--features 16 --resunits 2" [S32]="--features 32 --resunits 1")
for k in ${CANDIDATES:-S16 S32}; do
  model="$run/candidate_$k.h5"
  [ -e "$model" ] && { log "$city $k: $model exists"; continue; }
  log "$city $k: train ${options[$k]}"
  # shellcheck disable=SC2086 # options[k] is a list of options
  /usr/bin/time -f "$city st-resnet $k: %e s, %M KiB" -a -o "$out/st_time.txt" \
    "$cc" train --data "$tensor" --model st-resnet ${options[$k]} --batch 8 --seed 1 --epochs "$epochs" --patience 3 \
    --device "$device" "${threads[@]}" --out "$model" | tee "$run/candidate_$k.log"
done

for k in S16 S32; do
  [ -e "$run/candidate_$k.h5" ] || { log "$city $k is not trained yet: run again to choose"; exit 0; }
done
if [ -n "${CONVLSTM:-}" ]; then vc=$(best_val "$CONVLSTM"); else vc=${CONVLSTM_VAL:?CONVLSTM or CONVLSTM_VAL}; fi
v16=$(best_val "$run/candidate_S16.h5") v32=$(best_val "$run/candidate_S32.h5")
chosen=$(/usr/bin/python3 -c 'import sys
v = {"convlstm-ae": float(sys.argv[1]), "S16": float(sys.argv[2]), "S32": float(sys.argv[3])}
print(min(v, key=v.get))' "$vc" "$v16" "$v32")
log "$city: validation losses: convlstm-ae $vc, S16 $v16, S32 $v32; chosen: $chosen"
echo "convlstm-ae $vc S16 $v16 S32 $v32 chosen $chosen" >"$run/chosen.txt"
[ "$chosen" = convlstm-ae ] && { log "$city: the convlstm-ae stays the network; no test forecast"; exit 0; }

forecast="$run/st_network.h5"
[ -e "$forecast" ] || { log "predict the test span with $chosen";
  /usr/bin/time -f "$city st-resnet predict: %e s, %M KiB" -a -o "$out/st_time.txt" \
    "$cc" predict --model "$run/candidate_$chosen.h5" --data "$tensor" --device "$device" --out "$forecast"; }
env "NETWORK_$city=$forecast" bash "$here/bench/patrol_tables.sh" "$out" "$city"
log "done: $out/$city/eval_top10.csv, eval_occurrence.csv, versus_kde.json"
