#!/usr/bin/env bash
# The full crimecast for a GPU machine that has CUDA 13, CMake and Python (PyTorch's
# nvidia wheels) but none of our Debian libraries: built here, with the libraries it
# links beside it, in one folder to copy there (kernels/README.md, "The GPU bundle").
#
# Why a binary built here and not headers and libraries to build there: the toolkit here
# is the same CUDA 13.0 as the GPU machine's nvcc, the binary links the CUDA runtime
# statically and finds cuBLAS 13 (opened when a GPU is first used) and cuDNN 9 by their
# sonames, which PyTorch's wheels provide there; a build there would need the headers and pkg-config files of 15
# packages made relocatable, for the same program. What the bundle leaves out:
#   - glibc (libc, libm, libdl, libpthread, librt, libresolv, the loader), libgcc_s and
#     libstdc++: every Linux has them, and the GPU machine's are newer (Ubuntu 24.04's
#     glibc 2.39 >= 2.36 here: the bundle prints the newest symbol version it needs);
#   - cuBLAS, cuBLASLt and cuDNN: 600 MiB, and the GPU machine has them in the toolkit or
#     PyTorch's wheels (the wrapper finds them);
#   - OpenBLAS (35 MiB) and oneDNN (40 MiB): the bundle's CPU convolutions are im2col and
#     the blocked loop nest (-DCRIMECAST_BLAS=OFF -DCRIMECAST_DNNL=OFF); its work is on the GPU;
#   - MPI and NCCL (-DCRIMECAST_NCCL=OFF): one process per bundle. The NCCL path is checked
#     on a GPU machine by the compute core's build there (bench/gpu_check.sh).
#
# usage: scripts/gpu_bundle.sh [OUTDIR] [--tar]     (default gpu-bundle/; --tar also
#        writes OUTDIR.tar.xz, the bundle compressed for a copy with a size limit)
#        scripts/gpu_bundle.sh --check OUTDIR        (checks a bundle on this machine:
#        every library it loads is its own, glibc's or CUDA's, and the commands run in an
#        empty environment on the CPU)
# Environment: CRIMECAST_CUDA_ARCH (default 90: H100/H200; e.g. "80;90"), BUILD_DIR
# (default build-bundle), JOBS.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
limit_mib=64

# Libraries the bundle must not carry (above): by soname prefix.
system_lib() {
  case "$1" in
    libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*|libresolv.so.*|ld-linux*|linux-vdso*) return 0 ;;
    libgcc_s.so.*|libstdc++.so.*) return 0 ;;
  esac
  return 1
}
cuda_lib() { case "$1" in libcublas*|libcudnn*|libcuda.so*) return 0 ;; esac; return 1; }

build() {
  local out=$1 build=${BUILD_DIR:-$here/build-bundle}
  mkdir -p "$build"
  cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCRIMECAST_CUDA=ON -DCRIMECAST_CUDNN=ON \
    -DCRIMECAST_BLAS=OFF -DCRIMECAST_DNNL=OFF -DCRIMECAST_GDAL=OFF -DCRIMECAST_NCCL=OFF -DCMAKE_CUDA_ARCHITECTURES="${CRIMECAST_CUDA_ARCH:-90}" \
    -DCMAKE_BUILD_RPATH='$ORIGIN/../lib' >"$build/bundle-configure.log" 2>&1 || { tail -20 "$build/bundle-configure.log"; exit 1; }
  cmake --build "$build" --target crimecast -j"${JOBS:-$(nproc)}" >"$build/bundle-build.log" 2>&1 ||
    { tail -30 "$build/bundle-build.log"; exit 1; }
  rm -rf "$out"
  mkdir -p "$out/bin" "$out/lib" "$out/share/proj" "$out/data"
  cp "$build/crimecast" "$out/bin/crimecast"
  strip --strip-unneeded "$out/bin/crimecast"
  # Every library the binary loads, transitively, except glibc's, GCC's and CUDA's.
  ldd "$out/bin/crimecast" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' | while read -r name path; do
    system_lib "$name" || cuda_lib "$name" || cp -L "$path" "$out/lib/$name"
  done
  cp /usr/share/proj/proj.db "$out/share/proj/"
  cp -r "$here/data/cities" "$out/data/"
  write_wrapper "$out/crimecast"
  glibc=$(for f in "$out/bin/crimecast" "$out"/lib/*; do objdump -T "$f"; done | grep -o 'GLIBC_[0-9.]*' |
          sort -t. -k1,1 -k2,2n -k3,3n -u | tail -1)
  cat >"$out/README" <<EOF
crimecast $(git -C "$here" describe --always --dirty 2>/dev/null || echo "(no git)"), built $(date -u +%F) on
$(. /etc/os-release; echo "$PRETTY_NAME") with $(nvcc --version | tail -1) for sm_${CRIMECAST_CUDA_ARCH:-90} by scripts/gpu_bundle.sh.
Run ./crimecast (the wrapper) as you would the program. Needs glibc with ${glibc:-GLIBC_2.17},
libstdc++, an NVIDIA driver for CUDA 13, and cuBLAS 13 and cuDNN 9: the toolkit's, PyTorch's
nvidia wheels (found through python3), or a folder in CRIMECAST_CUDA_LIBS.
EOF
  local bytes
  bytes=$(du -sb "$out" | cut -f1)
  echo "$out: $(ls "$out/lib" | wc -l) libraries, $((bytes / 1048576)) MiB; needs ${glibc:-?}"
  [ "$bytes" -lt $((limit_mib * 1048576)) ] || { echo "the bundle is over ${limit_mib} MiB" >&2; exit 1; }
}

write_wrapper() {
  cat >"$1" <<'EOF'
#!/usr/bin/env bash
# crimecast from its GPU bundle (scripts/gpu_bundle.sh): the bundle's libraries first,
# then cuBLAS and cuDNN from CRIMECAST_CUDA_LIBS, the CUDA toolkit, or PyTorch's wheels.
here=$(cd "$(dirname "$0")" && pwd)
cuda=${CRIMECAST_CUDA_LIBS:-}
if [ -z "$cuda" ]; then
  toolkit=$(dirname "$(command -v nvcc 2>/dev/null || echo /usr/local/cuda/bin/nvcc)")/..
  for d in "$toolkit/lib64" "$toolkit/lib"; do
    [ -e "$d/libcublas.so.13" ] && [ -e "$d/libcudnn.so.9" ] && cuda=$d && break
  done
fi
if [ -z "$cuda" ] && command -v python3 >/dev/null; then
  wheels=$(python3 -c 'import nvidia; print(list(nvidia.__path__)[0])' 2>/dev/null)
  if [ -n "$wheels" ]; then
    for lib in libcublas.so.13 libcublasLt.so.13 libcudnn.so.9; do
      d=$(dirname "$(find "$wheels" -name "$lib" -print -quit 2>/dev/null)")
      case ":$cuda:" in *":$d:"*) ;; *) [ "$d" != . ] && cuda=${cuda:+$cuda:}$d ;; esac
    done
  fi
fi
export LD_LIBRARY_PATH="$here/lib${cuda:+:$cuda}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PROJ_DATA="$here/share/proj" PROJ_LIB="$here/share/proj"
export CRIMECAST_DATA_DIR="${CRIMECAST_DATA_DIR:-$here/data}"
exec "$here/bin/crimecast" "$@"
EOF
  chmod +x "$1"
}

# --check: what can be checked without a GPU.
check() {
  local out bad=0 tmp cuda
  out=$(cd "$1" && pwd)
  cuda=$(dirname "$(ldconfig -p | awk '/libcublas.so.13 / { print $NF; exit }')" 2>/dev/null || true)
  [ -e "$cuda/libcublas.so.13" ] || cuda=$(dirname "$(command -v nvcc)")/../lib
  echo "== every library the bundle loads is its own, glibc's, GCC's or CUDA's (CUDA here: $cuda)"
  for f in "$out/bin/crimecast" "$out"/lib/*; do
    while read -r name arrow path _; do
      [ "$arrow" = "=>" ] || continue
      if [ "$path" = "not" ]; then echo "  $(basename "$f"): $name not found"; bad=1; continue; fi
      case "$path" in "$out"/lib/*) continue ;; esac
      system_lib "$name" && continue
      cuda_lib "$name" && case "$path" in "$cuda"/*|/usr/local/cuda*) continue ;; esac
      echo "  $(basename "$f"): $name from $path, not the bundle"; bad=1
    done < <(LD_LIBRARY_PATH="$out/lib:$cuda" ldd "$f")
  done
  [ $bad -eq 0 ] && echo "  ok: $(ls "$out/lib" | wc -l) libraries"
  echo "== the commands in an empty environment, on the CPU"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  local c=(env -i "PATH=/usr/bin:/bin" "HOME=$tmp" "CRIMECAST_CUDA_LIBS=$cuda" "$out/crimecast")
  step() { echo "  crimecast $*"; "${c[@]}" "$@" >>"$tmp/log" 2>&1 || { tail -5 "$tmp/log"; bad=1; }; }
  step info
  step synth --db "$tmp/s.db" --from 2019-01-07 --to 2021-01-04 --seed 1
  step raster --city synthetic --db "$tmp/s.db" --from 2019-01-07 --to 2021-01-04 --bin week --grid 16 \
    --categories burglary --out "$tmp/t.h5"
  step train --data "$tmp/t.h5" --out "$tmp/m.h5" --hidden 4 --layers 1 --window 4 --epochs 1 --device cpu
  step predict --model "$tmp/m.h5" --data "$tmp/t.h5" --out "$tmp/f.h5" --device cpu
  step baseline --data "$tmp/t.h5" --method histavg --out "$tmp/h.h5"
  step eval --data "$tmp/t.h5" "$tmp/f.h5" "$tmp/h.h5" --area 1km2
  step png --in "$tmp/f.h5" --all --out "$tmp/png"
  grep -A3 '^crimecast' "$tmp/log" | head -8
  # cuBLAS is opened when a GPU is first used (kernels/cuda/cublas_library.cuh), not by
  # the loader above: the one the wrapper's path leads to must be the one info finds.
  grep -q "^gpu blas: cuBLAS $cuda/libcublas.so" "$tmp/log" ||
    { echo "  info found no cuBLAS in $cuda:"; grep '^gpu blas' "$tmp/log"; bad=1; }
  [ $bad -eq 0 ] && echo "ok: the bundle runs without this machine's libraries" || { echo "FAILED" >&2; return 1; }
}

case "${1:-}" in
  --check) check "${2:?usage: scripts/gpu_bundle.sh --check OUTDIR}" ;;
  *)
    out=${1:-$here/gpu-bundle}
    build "$out"
    if [ "${2:-}" = --tar ]; then
      tar -C "$(dirname "$out")" -cJf "$out.tar.xz" "$(basename "$out")"
      echo "$out.tar.xz: $(($(stat -c %s "$out.tar.xz") / 1048576)) MiB"
    fi
    ;;
esac
