#!/usr/bin/env bash
# The ETAS fit of Chicago 2012-2017, every incident (1.7 million) over the whole span, on
# this machine's cores: the EM's time per iteration and in all, the parameters, and the
# peak memory (/usr/bin/time). bench/RESULTS.md, "The field's baseline".
#
# usage: bash bench/etas_fit.sh OUTDIR [STORE]   (STORE: a store that already holds
#        Chicago's shared files, e.g. forecast_tables.sh's OUTDIR/all.db; else imported)
#        CRIMECAST=path/to/crimecast (default build/crimecast), ETAS_FIT=path/to/etas_fit
#        (default: beside it); SHARED=../shared/data
set -euo pipefail
out=${1:?usage: etas_fit.sh OUTDIR [STORE]}
here=$(cd "$(dirname "$0")/.." && pwd)
cc=${CRIMECAST:-$here/build/crimecast}
fit=${ETAS_FIT:-$(dirname "$cc")/etas_fit}
shared=${SHARED:-$here/../shared/data}
mkdir -p "$out"
db=${2:-$out/chicago.db}
if [ ! -e "$db" ]; then
    "$cc" import --city chicago --db "$db" "$shared"/chicago/chicago_2012_2014.csv.gz \
        "$shared"/chicago/chicago_2015_2017.csv.gz
fi
t="$out/chicago_2012_2017.h5"
[ -e "$t" ] || "$cc" raster --city chicago --db "$db" --from 2012-01-02 --to 2018-01-01 --bin week --grid 32 \
    --out "$t" >/dev/null
echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), $(nproc) cores"
/usr/bin/time -f "wall %e s, user %U s, peak resident %M KiB" "$fit" "$t" "$db" 0
