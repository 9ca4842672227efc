#!/bin/sh
# bench/run.sh: run every benchmark script in bench/ (make bench). Not part of CI.
cd "$(dirname "$0")/.." || exit 1
status=0
for b in bench/*.sh; do
    [ "$b" = bench/run.sh ] && continue
    sh "$b" || status=1
done
exit $status
