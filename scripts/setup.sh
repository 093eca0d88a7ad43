#!/usr/bin/env bash
# Installs every Debian package crimecast needs, then builds it into build/.
# Idempotent and non-interactive. Extra arguments go to CMake, e.g.
#   bash scripts/setup.sh -DCRIMECAST_CUDA=OFF
#   bash scripts/setup.sh -DCRIMECAST_MPI=ON     (also installs Open MPI)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config     # toolchain
  libsqlite3-dev sqlite3               # incident store (sqlite3: benchmark and checks)
  zlib1g-dev libzip-dev libcjson-dev   # .csv.gz, police.uk .zip archives, city definitions
  libhdf5-dev libproj-dev proj-data    # tensor files (HDF5), grids (PROJ and its database)
  libpng-dev                           # heatmap PNGs
  libcurl4-openssl-dev                 # crawler
  libopenblas-dev                      # CPU GEMMs of the convolutions
  libdnnl-dev                          # CPU convolutions through oneDNN (kernels/cpu/onednn.h)
  libgdal-dev python3-gdal             # GIS export (heatmaps/geotiff.h, hotspot_polygons.h) and its test
  chromium                             # renders the HTML report in its test (headless)
  libxgboost-dev                       # the random-forest baseline
  libcmocka-dev                        # unit tests
  clang libclang-rt-14-dev             # fuzz targets (libFuzzer, ASan, UBSan: tests/fuzz)
  python3 python3-numpy python3-h5py python3-pyproj python3-sklearn   # independent reference checks
  python3-pandas                       # the covariates test's borough aggregation reference
  python3-torch                        # the benchmark against PyTorch (and the fixture's script)
)

# Open MPI only when asked for: -DCRIMECAST_MPI=ON (data-parallel training, mpirun).
for arg in "$@"; do
  if [ "$arg" = "-DCRIMECAST_MPI=ON" ]; then PACKAGES+=(libopenmpi-dev openmpi-bin); fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null

# The CUDA toolkit is not a Debian package here: it is used when present. Make sure a
# toolkit in its usual place is found even when it is not on PATH.
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build -j "$(nproc)"
echo "crimecast built: build/crimecast"
