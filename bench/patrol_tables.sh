#!/usr/bin/env bash
# Forecasts at patrol resolution (issue 28): Chicago 2012-01-01 .. 2018-01-01 and San
# Francisco 2003-01-01 .. 2015-01-01, weekly, 150 m cells, every category, the default
# split (the test span is the last 15% of the weeks). For each city: the tensor (sparse),
# the baselines (persistence, histavg, kde chosen on the validation span, etas; BASELINES
# to choose), each baseline's time and peak memory, and eval's tables: deviance, MSE,
# hit rate, PAI and PEI at 0.5 and 1 km2 and 1% of the area, with the top-10% and the
# occurrence hotspots, paired against kde. Forecasts of the network made elsewhere (on a
# GPU: scripts/gpu_run.sh) join the tables when given as NETWORK_<city>=FORECAST.h5.
#
# usage: bash bench/patrol_tables.sh OUTDIR [chicago sanfrancisco]
#        CRIMECAST=path/to/crimecast (default build/crimecast); DB=a store holding both
#        cities (default: imported into OUTDIR/all.db from SHARED=../shared/data)
set -euo pipefail
out=${1:?usage: patrol_tables.sh OUTDIR [chicago sanfrancisco]}
shift
cities=${*:-chicago sanfrancisco}
here=$(cd "$(dirname "$0")/.." && pwd)
cc=${CRIMECAST:-$here/build/crimecast}
shared=${SHARED:-$here/../shared/data}
mkdir -p "$out"
db=${DB:-$out/all.db}
log() { echo "[$(date -u +%T)] $*" | tee -a "$out/log.txt" >&2; }

if [ ! -e "$db" ]; then
  log "import"
  "$cc" import --city chicago --db "$db" "$shared"/chicago/chicago_2012_2014.csv.gz "$shared"/chicago/chicago_2015_2017.csv.gz
  "$cc" import --city sanfrancisco --db "$db" "$shared"/sanfrancisco/sf_kaggle_train_2003_2015.csv.gz \
    "$shared"/sanfrancisco/sf_kaggle_testweeks_2003_2014.csv.gz
fi

for city in $cities; do
  case $city in
    chicago) from=2012-01-01 to=2018-01-01 ;;
    sanfrancisco) from=2003-01-01 to=2015-01-01 ;;
    *) echo "unknown city $city" >&2; exit 2 ;;
  esac
  d="$out/$city"
  t="$d/tensor150.h5"
  mkdir -p "$d"
  [ -e "$t" ] || { log "$city: raster at 150 m"; "$cc" raster --city "$city" --db "$db" --from $from --to $to --bin week \
    --cell 150 --layout sparse --out "$t" | tee "$d/raster.log"; }
  forecasts=()
  for m in ${BASELINES:-persistence histavg kde etas}; do
    [ -e "$d/$m.h5" ] || { log "$city: baseline $m"; /usr/bin/time -f "$city $m: %e s, %M KiB" -a -o "$out/time.txt" \
      "$cc" baseline --method "$m" --data "$t" --out "$d/$m.h5" >"$d/$m.log"; }
    forecasts+=("$d/$m.h5")
  done
  network_var="NETWORK_$city"
  [ -n "${!network_var:-}" ] && forecasts=("${!network_var}" "${forecasts[@]}")
  log "$city: eval"
  "$cc" eval --data "$t" --csv --topk 1 --area 0.5km2,1km2 "${forecasts[@]}" >"$d/eval_top10.csv"
  "$cc" eval --data "$t" --csv --topk 1 --area 0.5km2,1km2 --hotspot occurrence "${forecasts[@]}" >"$d/eval_occurrence.csv"
  kde= # the model name says the chosen bandwidth; no KDE among BASELINES, no pairing
  [ -e "$d/kde.log" ] && kde=$(grep -o 'kde-[0-9.]*m' "$d/kde.log" | head -1)
  [ -n "$kde" ] && "$cc" eval --data "$t" --json --versus "$kde" --topk 1 --area 1km2 "${forecasts[@]}" >"$d/versus_kde.json"
  log "$city: done"
done
