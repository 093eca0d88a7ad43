# shellcheck shell=bash disable=SC2034 # the variables are the sourcing script's
# Sourced by bench/patrol_network.sh and bench/patrol_st_resnet.sh: their arguments and
# settings. Before sourcing, set NAME (the script's, for messages) and LOG_NAME (its log
# under OUTDIR); then "$@" is OUTDIR [chicago|sanfrancisco].
# Sets: out, city, epochs (EPOCHS, else the city's first-round budget: Chicago 8, San
# Francisco 16), here, cc (CRIMECAST), device (DEVICE, default auto), tensor (TENSOR, else
# patrol_tables.sh's OUTDIR/CITY/tensor150.h5, rastered when missing); log and best_val.
out=${1:?usage: $NAME OUTDIR [chicago|sanfrancisco]}
city=${2:-chicago}
case $city in chicago) epochs=${EPOCHS:-8} ;; sanfrancisco) epochs=${EPOCHS:-16} ;;
  *) echo "$NAME: unknown city $city (chicago or sanfrancisco)" >&2; exit 2 ;; esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cc=${CRIMECAST:-$here/build/crimecast}
device=${DEVICE:-auto}
mkdir -p "$out"
log() { echo "[$(date -u +%T)] $*" | tee -a "$out/$LOG_NAME" >&2; }
# a model file's best validation loss
best_val() { /usr/bin/python3 -c 'import h5py,sys; print(h5py.File(sys.argv[1],"r").attrs["best_val"])' "$1"; }

tensor=${TENSOR:-$out/$city/tensor150.h5}
[ -e "$tensor" ] || BASELINES=persistence bash "$here/bench/patrol_tables.sh" "$out" "$city"
