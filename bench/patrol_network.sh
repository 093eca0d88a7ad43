#!/usr/bin/env bash
# The network at patrol resolution (issue 28): Chicago 2012-01-01 .. 2018-01-01 (299 x 247,
# 12 channels) or San Francisco 2003-01-01 .. 2015-01-01 (105 x 101, 13 channels), weekly,
# 150 m cells, the default split, trained on whatever device --device picks (DEVICE,
# default auto), then scored beside the baselines by bench/patrol_tables.sh (its
# NETWORK_<city>).
#
# The rule, written before the runs (2026-12-03): two candidates, both convlstm-ae at
# down 4 (the recurrence on a 75 x 62 latent grid; train's other defaults: 16 features,
# two layers of 16, kernel 3, window 8, Poisson loss, the 52-week average as offset,
# context and recency maps, the 3x3 skip path), batch 8, seed 1, at most EPOCHS epochs
# (default 8) with patience 3:
#   A  the offset is each cell's own 52-week average (train's default);
#   B  the same average smoothed in space by a Gaussian of 1 cell (--baseline-smooth 1),
#      since at 150 m most cells see 0 or 1 incidents a year.
# The one with the lower best validation loss (the model file's best_val) is chosen; only
# it forecasts the test span, once. Nothing about the test span is read before that.
# San Francisco (written 2026-12-03, before its runs): the same candidates and rule, at
# most 16 epochs (the default EPOCHS there), since its epochs cost about a third of
# Chicago's (a 27 x 26 latent grid, twice the weeks); Chicago's 8 had not converged.
# Second round, LONGER=N (written 2026-12-03 14:50 UTC, before its run, but after the
# first round's test figures had been seen: San Francisco's network level with the forest
# and behind the 52-week average on PAI at 1 km2): the chosen candidate's best epoch was
# 15 of 16 in San Francisco, still improving, so it is trained again from its seed with
# at most N epochs (patience 3). Its first 16 epochs are the first round's (the same seed
# and batches); it replaces the first round's model only if its best validation loss is
# lower, and only then is the test span forecast again (network_N.h5) and scored.
#
# usage: bash bench/patrol_network.sh OUTDIR [chicago|sanfrancisco]
#        CRIMECAST=path/to/crimecast (default build/crimecast); TENSOR=the 150 m tensor
#        (default: patrol_tables.sh's OUTDIR/CITY/tensor150.h5, made when missing)
#        CANDIDATES="B" trains only those (e.g. one per machine, or two at once); the
#        choice waits for both. A candidate whose model file exists is not trained again
#        (train --resume continues one that was stopped). LONGER=N: the second round.
set -euo pipefail
NAME=patrol_network.sh LOG_NAME=log.txt
# shellcheck source=bench/patrol_common.sh
source "$(dirname "$0")/patrol_common.sh"
# Each city's candidates and forecast live in its own folder under OUTDIR.
run="$out/$city"
mkdir -p "$run"

common=(--data "$tensor" --model convlstm-ae --down 4 --batch 8 --seed 1 --epochs "$epochs" --patience 3
  --device "$device")
declare -A extra=([A]="" [B]="--baseline-smooth 1")
for k in ${CANDIDATES:-A B}; do
  model="$run/candidate_$k.h5"
  [ -e "$model" ] && { log "candidate $k: $model exists"; continue; }
  log "candidate $k: train ${extra[$k]}"
  # shellcheck disable=SC2086 # extra[k] is a list of options
  /usr/bin/time -f "$city candidate $k: %e s, %M KiB" -a -o "$out/time.txt" \
    "$cc" train "${common[@]}" ${extra[$k]} --out "$model" | tee "$run/candidate_$k.log"
done

for k in A B; do
  [ -e "$run/candidate_$k.h5" ] || { log "candidate $k is not trained yet: run again to choose"; exit 0; }
done
va=$(best_val "$run/candidate_A.h5") vb=$(best_val "$run/candidate_B.h5")
chosen=$(/usr/bin/python3 -c 'import sys; print("A" if float(sys.argv[1]) <= float(sys.argv[2]) else "B")' "$va" "$vb")
log "$city: validation losses: A $va, B $vb; chosen: $chosen"
echo "A $va B $vb chosen $chosen" >"$run/chosen.txt"

model="$run/candidate_$chosen.h5" forecast="$run/network.h5"
if [ -n "${LONGER:-}" ]; then # the second round (see the header)
  long="$run/candidate_${chosen}_$LONGER.h5"
  [ -e "$long" ] || { log "candidate $chosen again, at most $LONGER epochs"
    # shellcheck disable=SC2086 # extra[chosen] is a list of options
    /usr/bin/time -f "$city candidate $chosen, $LONGER epochs: %e s, %M KiB" -a -o "$out/time.txt" \
      "$cc" train --data "$tensor" --model convlstm-ae --down 4 --batch 8 --seed 1 --epochs "$LONGER" --patience 3 \
      --device "$device" ${extra[$chosen]} --out "$long" | tee "$run/candidate_${chosen}_$LONGER.log"; }
  vl=$(best_val "$long")
  longer=$(/usr/bin/python3 -c 'import sys; print(int(float(sys.argv[1]) < float(sys.argv[2])))' "$vl" "$(best_val "$model")")
  log "$city: candidate $chosen with at most $LONGER epochs: validation loss $vl; kept: $([ "$longer" = 1 ] && echo it || echo the first round)"
  echo "$chosen $LONGER epochs $vl kept $longer" >>"$run/chosen.txt"
  [ "$longer" = 1 ] || exit 0
  model=$long forecast="$run/network_$LONGER.h5"
fi
[ -e "$forecast" ] || { log "predict the test span with $model";
  /usr/bin/time -f "$city predict: %e s, %M KiB" -a -o "$out/time.txt" \
    "$cc" predict --model "$model" --data "$tensor" --device "$device" --out "$forecast"; }
env "NETWORK_$city=$forecast" bash "$here/bench/patrol_tables.sh" "$out" "$city"
log "done: $run/eval_top10.csv, eval_occurrence.csv, versus_kde.json"
