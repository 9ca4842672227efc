#!/bin/sh
# make bench: runs every bench/*.sh (each prints its own table). Not part of CI: numbers
# depend on the machine and its load. Set BENCH_QUICK=1 for a short run.
cd "$(dirname "$0")/.." || exit 1
: "${WINNOW_SHARED:=$(pwd)/../shared}"
export WINNOW_SHARED
mkdir -p bench/out
status=0
for b in bench/*.sh; do
    [ "$(basename "$b")" = run.sh ] && continue
    echo "== $b"
    sh "$b" || status=1
    echo
done
exit $status
