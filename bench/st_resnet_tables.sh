#!/usr/bin/env bash
# ST-ResNet (issue 32) beside the ConvLSTM and the baselines of bench/forecast_tables.sh,
# on the same tensors, split and test bins.
#
# The rule, written before the runs: on each table, ST-ResNet's options are chosen by the
# validation loss alone (the model file's best_val, seed 1) among features 16 or 32 and
# resunits 1 or 2; everything else is train's default (closeness 3, period 1 at 13 weeks
# or 3 months, trend 1 at a year, context on, skip 3, baseline auto). The chosen options
# are then trained with the table's seeds (as the ConvLSTM's rows: Chicago 1, San
# Francisco and London 3) and scored once on the test span: eval --versus rf-100 and
# --versus convlstm (paired intervals over the test bins).
#
# usage: bench/st_resnet_tables.sh OUTDIR [chicago32 sf london chicago64]
#   OUTDIR is forecast_tables.sh's (run here first for a table that lacks it).
set -euo pipefail
out=${1:?usage: st_resnet_tables.sh OUTDIR [chicago32 sf london chicago64]}
shift
tables=${*:-chicago32 sf london chicago64}
here=$(cd "$(dirname "$0")/.." && pwd)
cc=${CRIMECAST:-$here/build/crimecast}
log() { echo "[$(date -u +%T)] $*" | tee -a "$out/st_log.txt" >&2; }
best_val() { /usr/bin/python3 -c "import h5py,sys; print(h5py.File(sys.argv[1],'r').attrs['best_val'])" "$1"; }

st_resnet() { # st_resnet NAME WINDOW SEEDS [train options of the table]
    local name=$1 window=$2 seeds=$3 d="$out/$1" t="$out/$1/tensor.h5" best="" best_loss=""
    shift 3
    [ -e "$d/convlstm_s1.h5" ] || CRIMECAST="$cc" bash "$here/bench/forecast_tables.sh" "$out" "$name"
    mkdir -p "$d/st"
    : >"$d/st/choice.txt"
    for features in 16 32; do
        for units in 1 2; do
            local m="$d/st/select_f${features}_r${units}.h5"
            if [ ! -e "$m.done" ]; then
                log "$name: st-resnet features $features resunits $units (seed 1, for the choice)"
                /usr/bin/time -f "$name st-resnet f$features r$units: %e s, %M KiB" -a -o "$out/st_time.txt" \
                    "$cc" train --model st-resnet --data "$t" --features "$features" --resunits "$units" --seed 1 \
                    --device cpu "$@" --out "$m" >"$m.log"
                touch "$m.done"
            fi
            local v
            v=$(best_val "$m")
            echo "$name features $features resunits $units: validation loss $v" >>"$d/st/choice.txt"
            if [ -z "$best" ] || /usr/bin/python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)" "$v" "$best_loss"; then
                best="$features $units" best_loss=$v
            fi
        done
    done
    read -r features units <<<"$best"
    log "$name: chosen features $features resunits $units (validation loss $best_loss)"
    echo "chosen: features $features resunits $units" >>"$d/st/choice.txt"
    local models=()
    for s in $(seq 1 "$seeds"); do
        local m="$d/st/model_s$s.h5"
        if [ "$s" = 1 ]; then cp "$d/st/select_f${features}_r${units}.h5" "$m"
        elif [ ! -e "$m.done" ]; then
            log "$name: st-resnet seed $s"
            "$cc" train --model st-resnet --data "$t" --features "$features" --resunits "$units" --seed "$s" --device cpu \
                "$@" --out "$m" >"$m.log"
            touch "$m.done"
        fi
        "$cc" predict --model "$m" --data "$t" --device cpu --out "$d/st/st_resnet_s$s.h5" >/dev/null
        models+=(--model "$m")
    done
    local point=()
    [ "$name" != london ] && point=("$d/etas.h5")
    for s in $(seq 1 "$seeds"); do
        "$cc" eval --data "$t" --json --versus rf-100 "$d/st/st_resnet_s$s.h5" "$d/convlstm_s$s.h5" "$d/histavg.h5" \
            "$d/kde.h5" "${point[@]}" "$d/rf.h5" >"$d/st/versus_rf_s$s.json"
        "$cc" eval --data "$t" --json --versus convlstm "$d/st/st_resnet_s$s.h5" "$d/convlstm_s$s.h5" \
            >"$d/st/versus_convlstm_s$s.json"
    done
    log "$name: st-resnet done"
}

for table in $tables; do
    case $table in
    chicago32) st_resnet chicago32 8 1 ;;
    chicago64) st_resnet chicago64 8 1 --epochs 12 ;;
    sf) st_resnet sf 8 3 ;;
    london) st_resnet london 4 3 ;;
    *) echo "unknown table $table" >&2; exit 2 ;;
    esac
done
