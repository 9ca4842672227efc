#!/bin/sh
# bench/cluster_mpi.sh: memory per rank of winnow-mpi's MinHash dedup as ranks are added
# (ranks on one machine stand in for nodes). Real text only: every JSONL corpus in
# ../shared/data (dedup, quality, langid), cut into 32 input files so that ranks share the
# signing. For each rank count it prints the wall time, the peak RSS per rank (max and
# mean) and the largest share one rank held of the three things that grow with the
# corpus: band records received (its buckets), edges, and union-find labels.
#
#   sh bench/cluster_mpi.sh [RANKS...]      (default 1 2 4 8; needs `make winnow-mpi`)
set -eu
cd "$(dirname "$0")/.."
command -v mpirun >/dev/null 2>&1 || { echo "skipped: no mpirun (tools/install-test-deps.sh)"; exit 0; }
[ -x build/winnow-mpi ] || make -s winnow-mpi
D=${WINNOW_SHARED:-../shared}/data
ROOT=""
[ "$(id -u)" = 0 ] && ROOT=--allow-run-as-root
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir "$T/in"
for f in "$D"/dedup/*.jsonl.gz "$D"/quality/*.jsonl.gz "$D"/langid/*.jsonl.gz; do zcat "$f"; done >"$T/all.jsonl"
split -n l/32 -d -a 3 "$T/all.jsonl" "$T/in/part-"
echo "corpus: $(wc -l <"$T/all.jsonl") documents, $(du -m "$T/all.jsonl" | cut -f1) MB in 32 files; --memory 64M; $(nproc) cores shared with other work"
printf '%6s %8s %14s %15s %18s %12s %13s\n' ranks seconds "max RSS MiB" "mean RSS MiB" "band recs/rank" "edges/rank" "labels/rank"
for r in ${*:-1 2 4 8}; do
    rm -rf "$T/out"
    log=$(mpirun -np "$r" --oversubscribe $ROOT build/winnow-mpi dedup minhash \
          "$T/in" -o "$T/out" -j 1 --memory 64M 2>&1)
    secs=$(echo "$log" | sed -n 's/.*, \([0-9.]*\) s; wrote.*/\1/p')
    rss=$(echo "$log" | sed -n 's/.*max \([0-9.]*\) MiB, mean \([0-9.]*\) MiB/\1 \2/p')
    share=$(echo "$log" | sed -n 's/.*one rank: \([0-9]*\) band records, \([0-9]*\) edges, \([0-9]*\) labels/\1 \2 \3/p')
    # shellcheck disable=SC2086
    printf '%6s %8s %14s %15s %18s %12s %13s\n' "$r" "$secs" $rss $share
done
