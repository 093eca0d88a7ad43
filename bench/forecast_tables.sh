#!/usr/bin/env bash
# The forecast-quality tables of README and bench/RESULTS.md, measured again from the
# shared data with train's defaults (CPU, bit-reproducible with `--device cpu`):
#
#   chicago32  Chicago 2012-01-02 .. 2018-01-01 weekly 32 x 32, all + burglary, seed 1
#   chicago64  the same at 64 x 64, --epochs 12, seed 1
#   sf         San Francisco 2003-01-06 .. 2015-01-05 (Kaggle) weekly 32 x 32, seeds 1-3
#   london     London (Met) burglary 2016-01 .. 2024-12 monthly 32 x 32, window 4, seeds 1-3
#   synthetic  the demo's nine-year synthetic city, seeds 1-3 (crimecast demo --seed S)
#
# For each tensor: the network (one model per seed, and the seeds' mean with predict
# --model x N), every baseline (persistence, histavg, seasonal, kde, rf, and etas where
# the incidents are timed: not London), eval's table (CSV, with hit rate / PAI / PEI at
# 1%, 5%, 10% and 1 km2) and the paired differences against the forest and the network
# (eval --versus rf-100, --versus convlstm, JSON), all on the same target bins (rolling
# origin, the test span). Each baseline's time and peak memory go to OUTDIR/time.txt.
#
# usage: bash bench/forecast_tables.sh OUTDIR [TABLE...]   (default: every table)
#        CRIMECAST=path/to/crimecast (default build/crimecast); SHARED=../shared/data
set -euo pipefail
out=${1:?usage: forecast_tables.sh OUTDIR [chicago32 chicago64 sf london synthetic]}
shift
tables=${*:-chicago32 chicago64 sf london synthetic}
here=$(cd "$(dirname "$0")/.." && pwd)
cc=${CRIMECAST:-$here/build/crimecast}
shared=${SHARED:-$here/../shared/data}
mkdir -p "$out"
db="$out/all.db"
log() { echo "[$(date -u +%T)] $*" | tee -a "$out/log.txt" >&2; }

import_all() {
    [ -e "$out/imported" ] && return
    log "import"
    "$cc" import --city chicago --db "$db" "$shared"/chicago/chicago_2012_2014.csv.gz "$shared"/chicago/chicago_2015_2017.csv.gz
    "$cc" import --city sanfrancisco --db "$db" "$shared"/sanfrancisco/sf_kaggle_train_2003_2015.csv.gz \
        "$shared"/sanfrancisco/sf_kaggle_testweeks_2003_2014.csv.gz
    "$cc" import --city london --db "$db" "$shared"/london/london_met_burglary_2016_2024.csv.gz
    touch "$out/imported"
}

# measure NAME WINDOW SEEDS [TRAIN OPTIONS...]: models, baselines and both evals of $out/NAME/tensor.h5
measure() {
    local name=$1 window=$2 seeds=$3
    shift 3
    local d="$out/$name" t="$out/$name/tensor.h5" models=()
    for s in $(seq 1 "$seeds"); do
        if [ ! -e "$d/model_s$s.h5.done" ]; then
            log "$name: train seed $s"
            "$cc" train --data "$t" --window "$window" --seed "$s" --device cpu "$@" --out "$d/model_s$s.h5" \
                >"$d/train_s$s.log"
            touch "$d/model_s$s.h5.done"
        fi
        "$cc" predict --model "$d/model_s$s.h5" --data "$t" --device cpu --out "$d/convlstm_s$s.h5" >/dev/null
        models+=(--model "$d/model_s$s.h5")
    done
    [ "$seeds" -gt 1 ] && "$cc" predict "${models[@]}" --data "$t" --device cpu --out "$d/convlstm_mean.h5" >/dev/null
    local methods=(persistence histavg seasonal kde rf) point=()
    # ETAS needs the incidents' times (London's are months: the baseline says so and stops).
    [ "$name" != london ] && methods+=(etas) && point=("$d/etas.h5")
    for m in "${methods[@]}"; do
        [ -e "$d/$m.h5" ] || { log "$name: baseline $m"; /usr/bin/time -f "$name $m: %e s, %M KiB" -a -o "$out/time.txt" \
            "$cc" baseline --method "$m" --data "$t" --window "$window" --out "$d/$m.h5" >"$d/$m.log"; }
    done
    local base=("$d/persistence.h5" "$d/histavg.h5" "$d/seasonal.h5" "$d/kde.h5" "$d/rf.h5" "${point[@]}")
    "$cc" eval --data "$t" --csv --topk 1,5,10 --area 1km2 "$d/convlstm_s1.h5" "${base[@]}" >"$d/eval.csv"
    for s in $(seq 1 "$seeds"); do
        "$cc" eval --data "$t" --json --versus rf-100 "$d/convlstm_s$s.h5" "$d/histavg.h5" "$d/kde.h5" "${point[@]}" \
            "$d/rf.h5" >"$d/versus_s$s.json"
        "$cc" eval --data "$t" --json --versus convlstm "$d/convlstm_s$s.h5" "$d/kde.h5" "${point[@]}" \
            >"$d/versus_convlstm_s$s.json"
    done
    if [ "$seeds" -gt 1 ]; then
        "$cc" eval --data "$t" --json --versus rf-100 "$d/convlstm_mean.h5" "$d/rf.h5" >"$d/versus_mean.json"
    fi
    log "$name: done"
}

raster() { # raster NAME CITY FROM TO BIN GRID
    mkdir -p "$out/$1"
    [ -e "$out/$1/tensor.h5" ] || "$cc" raster --city "$2" --db "$db" --from "$3" --to "$4" --bin "$5" --grid "$6" \
        --categories burglary --out "$out/$1/tensor.h5" >/dev/null
}

synthetic() {
    for s in 1 2 3; do
        local d="$out/synthetic/seed$s"
        if [ ! -e "$d.done" ]; then
            log "synthetic: demo seed $s"
            "$cc" demo --device cpu --seed "$s" --out "$d" >"$d.table.txt" 2>/dev/null
            touch "$d.done"
        fi
        local f="$d/forecasts"
        "$cc" eval --data "$d/tensor.h5" --csv --topk 1,5,10 --area 1km2 "$f"/*.h5 >"$d/eval.csv"
        "$cc" eval --data "$d/tensor.h5" --json --versus rf-100 "$f/convlstm.h5" "$f/histavg.h5" "$f/kde.h5" \
            "$f/etas.h5" "$f/rf.h5" "$f/oracle.h5" >"$d/versus.json"
        "$cc" eval --data "$d/tensor.h5" --json --versus convlstm "$f/convlstm.h5" "$f/kde.h5" "$f/etas.h5" \
            "$f/oracle.h5" >"$d/versus_convlstm.json"
    done
    log "synthetic: done"
}

log "crimecast $("$cc" --version), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), $(nproc) cores"
for table in $tables; do
    case $table in
    chicago32) import_all; raster chicago32 chicago 2012-01-02 2018-01-01 week 32; measure chicago32 8 1 ;;
    chicago64) import_all; raster chicago64 chicago 2012-01-02 2018-01-01 week 64; measure chicago64 8 1 --epochs 12 ;;
    sf) import_all; raster sf sanfrancisco 2003-01-06 2015-01-05 week 32; measure sf 8 3 ;;
    london) import_all; raster london london 2016-01-01 2025-01-01 month 32; measure london 4 3 ;;
    synthetic) mkdir -p "$out/synthetic"; synthetic ;;
    *) echo "unknown table $table" >&2; exit 2 ;;
    esac
done
