#!/usr/bin/env bash
# The layering of ../shared/DESIGN.md, checked on the sources and on the built objects:
#
#   kernels  (1)  uses nothing of ours          crawler (1)  uses nothing of ours
#   heatmaps (2)  uses crawler
#   models   (3)  uses kernels, heatmaps, crawler
#   host     (4)  uses everything below
#
# A "module" is one concept: a header and its source (models/rf.h + models/rf.c), or
# a folder's file of either kind alone. Module A uses module B when one of A's files
# includes one of B's headers, or when A's object file refers to a symbol that B's
# object file defines (a call or a data reference, read with nm). The check fails when
#   - a use runs against the table above (up a layer, or sideways between kernels and
#     crawler),
#   - modules use each other in a cycle: two modules, or a ring of them (tsort finds
#     them); a cycle means neither can be read, tested or replaced without the other, or
#   - a file outside kernels/ asks which backend was built (CRIMECAST_HAVE_CUDA, _CUDNN,
#     _BLAS): the backend boundary is kernels/ alone.
# tests/, bench/ and scripts/ are outside the layers.
#
# usage: bash scripts/check_layers.sh [BUILD_DIR]   (default: build; without built
#        objects only the includes are checked, and it says so)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"

allowed() { # allowed FROM TO -> exit 0 when folder FROM may use folder TO
    [ "$1" = "$2" ] && return 0
    case "$1:$2" in
        heatmaps:crawler) return 0 ;;
        models:kernels | models:heatmaps | models:crawler) return 0 ;;
        host:kernels | host:crawler | host:heatmaps | host:models) return 0 ;;
    esac
    return 1
}

layers=(kernels crawler heatmaps models host)
module_of() { local p="$1"; echo "${p%.*}"; } # models/rf.c -> models/rf

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
edges="$work/edges"

# ---------------------------------------------------------------- includes
files=$(find "${layers[@]}" -type f \( -name '*.c' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' \) | sort)
for f in $files; do
    { grep -oE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]+"' "$f" || true; } | sed -E 's/.*"([^"]+)"/\1/' |
        while read -r target; do
            echo "include $(module_of "$f") $(module_of "$target") $f $target"
        done
done >>"$edges"

# ---------------------------------------------------------------- symbols (nm)
objects=$(find "$build" -path '*/CMakeFiles/crimecast*.dir/*' -name '*.o' 2>/dev/null | sort || true)
if [ -z "$objects" ]; then
    echo "check_layers: no objects under $build/CMakeFiles/crimecast_*.dir: checking includes only" >&2
else
    : >"$edges.defs"
    : >"$edges.uses"
    for o in $objects; do
        src="${o#*/CMakeFiles/crimecast*.dir/}"
        src="${src%.o}"
        case "$src" in kernels/* | crawler/* | heatmaps/* | models/* | host/*) ;; *) continue ;; esac
        m=$(module_of "$src")
        nm -g --defined-only "$o" | awk -v m="$m" 'NF == 3 && $2 ~ /[TDBRCVW]/ {print $3, m}' >>"$edges.defs"
        nm -u "$o" | awk -v m="$m" '{print $NF, m}' >>"$edges.uses"
    done
    # symbol -> defining module; a use of it from another module is an edge
    awk 'NR == FNR {def[$1] = $2; next} ($1 in def) {print "call", $2, def[$1], $2, $1}' \
        "$edges.defs" "$edges.uses" >>"$edges"
fi

# ---------------------------------------------------------------- the layer table
status=0
while read -r kind from to where what; do
    a="${from%%/*}" b="${to%%/*}"
    case " ${layers[*]} " in *" $b "*) ;; *) continue ;; esac # system or test headers
    if ! allowed "$a" "$b"; then
        if [ "$kind" = include ]; then
            echo "layers: $where includes $what: $a/ may not use $b/" >&2
        else
            echo "layers: $where calls $what (defined in $to): $a/ may not use $b/" >&2
        fi
        status=1
    fi
done <"$edges"

# ---------------------------------------------------------------- the backend boundary
if grep -nE 'CRIMECAST_HAVE_(CUDA|CUDNN|BLAS)' $(find crawler heatmaps models host -type f) >"$work/ifdefs"; then
    sed 's/^/layers: outside kernels\/, a question of the backend: /' "$work/ifdefs" >&2
    status=1
fi

# ---------------------------------------------------------------- cycles between modules
awk '$2 != $3 {print $2, $3}' "$edges" | sort -u >"$edges.graph"
if ! tsort "$edges.graph" >/dev/null 2>"$edges.loops"; then
    echo "layers: modules that use each other in a cycle (each block is one loop):" >&2
    sed -E 's/^tsort: //; s/^.*: input contains a loop:$/  --/; s/^[a-z]/    &/' "$edges.loops" >&2
    status=1
fi

if [ "$status" -eq 0 ]; then
    echo "check_layers: $(sort -u "$edges.graph" | wc -l) uses between modules, none up a layer, no cycle"
fi
exit "$status"
