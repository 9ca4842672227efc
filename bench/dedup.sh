#!/bin/sh
# bench/dedup.sh: MinHash dedup speed and memory on real text (not CI; numbers depend on the
# machine's load - say so when quoting them).
#  1. signatures: MB/s per core of winnow's 14x8 signature on ../shared/data/dedup texts,
#     and the datatrove-style numpy peer on the same texts in the same run (ratio).
#  2. a scaled run: the real mail corpus copied SCALE times with one word changed per copy
#     (so every copy is a near duplicate), through every phase as its own process, with
#     wall time and peak RSS per phase; then a linear extrapolation to 10M documents.
# BENCH_QUICK=1 uses a smaller scale.
cd "$(dirname "$0")/.." || exit 1
: "${WINNOW_SHARED:=$(pwd)/../shared}"
D=$WINNOW_SHARED/data/dedup
OUT=bench/out/dedup
mkdir -p "$OUT"
make -s build/libwinnow.a winnow >/dev/null || exit 1
PKGS=$(sed -n 's/^PKGS *:= *//p' Makefile) # the libraries the Makefile links
cc -std=c11 -D_GNU_SOURCE -O2 -fopenmp -I. bench/dedup_bench.c build/libwinnow.a \
   $(pkg-config --libs $PKGS) -lm -o "$OUT/dedup_bench" || exit 1
FILES="$D/copyright.jsonl.gz $D/spamassassin.jsonl.gz $D/doc-history.jsonl.gz"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$OUT/dedup_bench" $FILES | tee "$OUT/sig.txt"
if /usr/bin/python3 -c 'import numpy, xxhash' 2>/dev/null; then
    /usr/bin/python3 bench/dedup_peer.py $FILES | tee "$OUT/peer.txt"
    ours=$(sed -n 's/.*: \([0-9.]*\) MB\/s\/core.*/\1/p' "$OUT/sig.txt")
    peer=$(sed -n 's/^peer: \([0-9.]*\) MB.*/\1/p' "$OUT/peer.txt")
    echo "ratio winnow/peer: $(echo "$ours $peer" | awk '{printf "%.0f", $1/$2}')x"
else
    echo "peer skipped: needs Debian python3-numpy python3-xxhash"
fi

SCALE=${SCALE:-40}
[ -n "${BENCH_QUICK:-}" ] && SCALE=8
rm -rf "$OUT/scaled" "$OUT/run"
mkdir -p "$OUT/scaled"
# copy k of the corpus: the k-th word of every document replaced (a near duplicate)
k=0
while [ $k -lt "$SCALE" ]; do
    zcat "$D/spamassassin.jsonl.gz" | sed "s/\"text\": \"\([^ ]*\) /\"text\": \"copy$k /; s/\"id\": \"/\"id\": \"c$k-/" \
        > "$OUT/scaled/part-$(printf %04d $k).jsonl"
    k=$((k + 1))
done
docs=$(cat "$OUT"/scaled/*.jsonl | wc -l)
mb=$(cat "$OUT"/scaled/*.jsonl | wc -c | awk '{printf "%.0f", $1/1e6}')
echo "scaled corpus: $docs documents, $mb MB of JSONL"
phase() {
    name=$1; shift
    /usr/bin/time -f "%e %M" -o "$OUT/time.$name" ./winnow dedup minhash --quiet "$@" "$OUT"/scaled/*.jsonl -o "$OUT/run" || exit 1
    read -r secs kb < "$OUT/time.$name"
    printf '| %-8s | %8s s | %8.0f MB |\n' "$name" "$secs" "$(echo "$kb" | awk '{print $1/1024}')"
}
echo "| phase    | wall       | peak RSS    |"
echo "|---|---|---|"
phase sign --phase sign
phase bands --phase bands --memory 256M
phase merge --phase merge
phase cluster --phase cluster
phase remove --phase remove
cat "$OUT/run/state/cluster.json"
read -r s_secs s_kb < "$OUT/time.cluster"
echo "cluster phase: $(echo "$s_kb $docs" | awk '{printf "%.0f", $1*1024/$2}') bytes of peak RSS per input document;"
echo "extrapolated to 10M documents (linear): $(echo "$s_kb $docs" | awk '{printf "%.1f", $1/1024/1024*10e6/$2}') GB for clustering;" \
     "bands phase is bounded by --memory; sign/merge/remove stream."
