#!/bin/sh
# Ingest throughput: WARC.gz -> JSONL.zst in MB/s of stored (compressed) input per core, on
# the real WARCs in ../shared/data/warc, with `zcat` over the same bytes as the floor of any
# reader (decompression alone). One thread (-j 1), so the figure is per core.
set -e
cd "$(dirname "$0")/.."
S=${WINNOW_SHARED:-../shared}/data/warc
[ -d "$S" ] || { echo "skipped: $S not found"; exit 0; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# Repeat the real files so the run lasts long enough to time; the same bytes each time.
reps=${BENCH_REPS:-20}
i=0
for f in "$S"/wget/*.warc.gz "$S"/dolma/sample-0000.warc.gz "$S"/resiliparse/warcfile.warc.gz; do
    for r in $(seq 1 "$reps"); do cp "$f" "$T/in-$i-$r.warc.gz"; done
    i=$((i + 1))
done
bytes=$(cat "$T"/in-* | wc -c)
now() { date +%s.%N; }
t0=$(now); cat "$T"/in-* | zcat > /dev/null; t1=$(now)
./winnow ingest --quiet -j 1 "$T" -o "$T/out-keep-raw" --keep-raw; t2=$(now)
./winnow ingest --quiet -j 1 "$T" -o "$T/out"; t3=$(now)
files=$(ls "$T"/in-* | wc -l)
awk -v b="$bytes" -v n="$files" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" 'BEGIN {
    mb = b / 1e6; z = t1 - t0; r = t2 - t1; e = t3 - t2
    printf "input: %.1f MB of real .warc.gz (%d files), one thread\n", mb, n
    printf "%-44s %8.1f MB/s\n", "zcat (decompression only, the floor)", mb / z
    printf "%-44s %8.1f MB/s   %.2fx zcat time\n", "winnow ingest --keep-raw (WARC+HTTP, no HTML)", mb / r, r / z
    printf "%-44s %8.1f MB/s   %.2fx zcat time\n", "winnow ingest (with HTML to text)", mb / e, e / z
}'
