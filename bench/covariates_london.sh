#!/usr/bin/env bash
# Deprivation and mobility beside the crime history, London (Met) burglary 2016-01 ..
# 2024-12, monthly: the forest and the network, each with and without the covariates.
#
#   bench/covariates_london.sh OUTDIR [GRID...]     GRID: 32 (32 x 32, 1.9 km cells), 500 (500 m cells)
#
# Covariates (crimecast covariates): the eight IoD2019 scores per 2011 LSOA, area-weighted
# over each cell (static), and Google's six mobility series per borough (the LSOAs'
# LAD11CD), the mean of each month's days (dynamic; missing before 2020-02-15 and after
# 2022-10-15).
#
# Three variants: off (the crime history only), iod (and deprivation: tensor_iod.h5, the
# static maps alone), all (and mobility: tensor.h5, both kinds).
#
# The rule, written before the run: each variant is judged on the validation span first
# (the network by its validation Poisson deviance, the forest by eval's deviance of its
# --span val forecast). The test span is then scored once for every variant, and the
# paired intervals (eval --versus, bin by bin) of "with minus without" are reported as
# they come. Covariates are said to help only where the validation span prefers them and
# the test interval of the deviance lies below zero.
#
# Writes OUTDIR/<grid>/: tensor.h5 (with /covariates), forecasts, eval JSON and CSV, the
# forest's importance (CSV, PNG), and OUTDIR/summary.txt.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: covariates_london.sh OUTDIR [32 500]}
shift
grids=${*:-32 500}
cc=${CRIMECAST:-$here/build/crimecast}
shared=${SHARED:-$here/../shared/data}
lon=$shared/london
seeds=${SEEDS:-3}
mkdir -p "$out"
log() { echo "[$(date -u +%T)] $*" | tee -a "$out/log.txt" >&2; }

db="$out/london.db"
[ -e "$out/imported" ] || { "$cc" import --city london --db "$db" "$lon"/london_met_burglary_2016_2024.csv.gz >/dev/null; touch "$out/imported"; }

tensor() { # tensor DIR GRID
    local d=$1 grid=$2 size=(--grid 32)
    [ "$grid" = 32 ] || size=(--cell "$grid")
    [ -e "$d/tensor.h5" ] && return
    "$cc" raster --city london --db "$db" --from 2016-01-01 --to 2025-01-01 --bin month "${size[@]}" \
        --categories burglary --out "$d/tensor.h5" >"$d/raster.log"
    "$cc" covariates --data "$d/tensor.h5" --polygons "$lon"/london_lsoa2011_boundaries_shp.tar.gz \
        --polygon-key LSOA11CD --table "$lon"/iod2019_london_lsoa_scores_ranks_deciles.csv.gz \
        --key 'LSOA code (2011)' --columns Score --names imd --names income --names employment \
        --names education --names health --names crime --names housing --names living_env >"$d/covariates.log"
    cp "$d/tensor.h5" "$d/tensor_iod.h5"
    "$cc" covariates --data "$d/tensor.h5" --polygons "$lon"/london_lsoa2011_boundaries_shp.tar.gz \
        --polygon-key LAD11CD --table "$lon"/google_mobility_london_boroughs_2020_2022.csv.gz --key area_code \
        --date date --columns percent_change --names retail --names grocery --names parks --names transit \
        --names workplaces --names residential --unit "% change from Google's baseline" >>"$d/covariates.log"
}

# the tensor file and --covariates of a variant
data_of() { case $2 in off | all) echo "$1/tensor.h5" ;; iod) echo "$1/tensor_iod.h5" ;; esac; }
switch_of() { [ "$1" = off ] && echo off || echo on; }

forest() { # forest DIR off|iod|all
    local d=$1 v=$2 imp=()
    [ "$v" = all ] && imp=(--importance "$d/importance.csv" --importance-png "$d/importance.png")
    for span in val test; do
        [ -e "$d/rf_${v}_$span.h5" ] && continue
        log "$d: rf covariates $v, $span span"
        /usr/bin/time -f "rf $v $span: %e s" -a -o "$d/time.txt" "$cc" baseline --method rf --data "$(data_of "$d" "$v")" \
            --window 4 --span "$span" --covariates "$(switch_of "$v")" "${imp[@]}" --out "$d/rf_${v}_$span.h5" \
            >"$d/rf_${v}_$span.log"
        imp=()
    done
}

network() { # network DIR off|iod|all SEED [TRAIN OPTIONS...]
    local d=$1 v=$2 s=$3
    shift 3
    local m="$d/model_${v}_s$s.h5"
    if [ ! -e "$m.done" ]; then
        log "$d: train covariates $v seed $s"
        /usr/bin/time -f "train $v seed $s: %e s" -a -o "$d/time.txt" "$cc" train --data "$(data_of "$d" "$v")" \
            --window 4 --seed "$s" --device cpu --covariates "$(switch_of "$v")" "$@" --out "$m" >"$d/train_${v}_s$s.log"
        touch "$m.done"
    fi
}

measure() { # measure GRID SEEDS [TRAIN OPTIONS...]
    local grid=$1 n=$2 d="$out/$1"
    shift 2
    mkdir -p "$d"
    tensor "$d" "$grid"
    for v in off iod all; do
        forest "$d" "$v"
        for s in $(seq 1 "$n"); do network "$d" "$v" "$s" "$@"; done
    done
    for span in val test; do
        for v in off iod all; do
            local models=()
            for s in $(seq 1 "$n"); do models+=(--model "$d/model_${v}_s$s.h5"); done
            "$cc" predict "${models[@]}" --data "$(data_of "$d" "$v")" --device cpu --span "$span" \
                --out "$d/ensemble_${v}_$span.h5" >/dev/null
        done
        "$cc" eval --data "$d/tensor.h5" --csv --topk 1,5,10 --area 1km2 "$d/rf_off_$span.h5" \
            "$d/ensemble_off_$span.h5" >"$d/eval_$span.csv"
        for v in iod all; do
            "$cc" eval --data "$d/tensor.h5" --csv --topk 1,5,10 --area 1km2 "$d/rf_${v}_$span.h5" \
                "$d/ensemble_${v}_$span.h5" >"$d/eval_${v}_$span.csv"
            "$cc" eval --data "$d/tensor.h5" --json --topk 1 --area 1km2 --versus rf-100 "$d/rf_off_$span.h5" \
                "$d/rf_${v}_$span.h5" >"$d/versus_rf_${v}_$span.json"
            "$cc" eval --data "$d/tensor.h5" --json --topk 1 --area 1km2 --versus convlstm "$d/ensemble_off_$span.h5" \
                "$d/ensemble_${v}_$span.h5" >"$d/versus_convlstm_${v}_$span.json"
        done
    done
    /usr/bin/python3 "$here/bench/covariates_summary.py" "$d" "$n" | tee -a "$out/summary.txt"
}

log "crimecast $("$cc" --version), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), $(nproc) cores"
for grid in $grids; do
    case $grid in
    32) measure 32 "$seeds" ;;
    500) measure 500 "${SEEDS500:-1}" ;;  # 97 x 122 cells: the plain convlstm (convlstm-ae needs even sides)
    *) echo "unknown grid $grid" >&2; exit 2 ;;
    esac
done
