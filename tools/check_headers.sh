#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Compiles every header under include/ on its own, in each mode, so no header depends on what
# happens to be included before it:
#   header-only     #include "<header>"                                  (the default mode)
#   compiled        the same with -DWMISUB_HEADER_ONLY=0                 (declarations only)
#   implementation  -DWMISUB_HEADER_ONLY=0 with WMISUB_IMPLEMENTATION defined first
# Implementation files (impl/*.inl) are not headers and are not compiled alone; each is reached
# through its header in the header-only and implementation passes.
#
#   tools/check_headers.sh [compiler]     (default: $CXX or g++; runs two compilers at a time)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CXX=${1:-${CXX:-g++}}
JOBS=${JOBS:-2}
FLAGS="-std=c++20 -fsyntax-only -Iinclude -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion \
-Wold-style-cast -Werror"
# The JSON adapter's headers need nlohmann/json; Debian puts it in /usr/include.
export CXX FLAGS

check_one() { # <header> <mode>
    local header=$1 mode=$2 prelude="" defines=""
    case $mode in
    compiled) defines="-DWMISUB_HEADER_ONLY=0" ;;
    implementation) defines="-DWMISUB_HEADER_ONLY=0" prelude="#define WMISUB_IMPLEMENTATION" ;;
    esac
    # shellcheck disable=SC2086
    if ! printf '%s\n#include "%s"\n' "$prelude" "$header" | $CXX $FLAGS $defines -x c++ - -o /dev/null 2>"/tmp/check_headers.$$.$BASHPID"; then
        echo "FAILED: $header ($mode)"
        head -20 "/tmp/check_headers.$$.$BASHPID"
        rm -f "/tmp/check_headers.$$.$BASHPID"
        return 1
    fi
    rm -f "/tmp/check_headers.$$.$BASHPID"
    echo "ok: $header ($mode)"
}
export -f check_one

headers=$(cd include && find wmisub -name '*.hpp' | sort)
count=$(echo "$headers" | wc -l)
echo "checking $count headers in 3 modes with $CXX"
for h in $headers; do for m in header-only compiled implementation; do echo "$h $m"; done; done |
    xargs -P "$JOBS" -n 2 bash -c 'check_one "$0" "$1"' >/tmp/check_headers.log 2>&1 || {
    grep -A20 FAILED /tmp/check_headers.log
    exit 1
}
echo "all $count headers compile alone in every mode"
