#!/bin/sh
# bench/dedup_semantic.sh: SemDeDup peak memory and time per phase on real text (not CI;
# numbers depend on the machine's load - say so when quoting them).
# The real dedup and quality corpora concatenated COPIES times (default 16: 137,456
# documents, 472 MB), every phase its own process under /usr/bin/time, with --memory MEM
# (default 64M, far below the 141 MB of 256-float rows): peak RSS must not follow n.
cd "$(dirname "$0")/.." || exit 1
: "${WINNOW_SHARED:=$(pwd)/../shared}"
COPIES=${COPIES:-16}
MEM=${MEM:-64M}
OUT=bench/out/dedup_semantic
mkdir -p "$OUT"
make -s winnow >/dev/null || exit 1
rm -f "$OUT/corpus.jsonl"
i=0
while [ $i -lt "$COPIES" ]; do
    zcat "$WINNOW_SHARED"/data/dedup/*.jsonl.gz "$WINNOW_SHARED"/data/quality/*.jsonl.gz >> "$OUT/corpus.jsonl"
    i=$((i + 1))
done
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "corpus: $(wc -l < "$OUT/corpus.jsonl") documents, $(du -m "$OUT/corpus.jsonl" | cut -f1) MB, --memory $MEM"
for p in embed kmeans assign select apply; do
    /usr/bin/time -f "$p: %M KB peak, %e s" ./winnow dedup semantic --quiet -j 2 --memory "$MEM" \
        --phase $p "$OUT/corpus.jsonl" -o "$OUT/run" 2>&1 | tail -1
done
grep -E '"(documents|k|kmeans_sample|removed|clusters_in_blocks)"' "$OUT/run/state/semantic.json"
