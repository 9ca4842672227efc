#!/bin/sh
# Filter throughput on real English text (../shared/data: Brown prose and spam, web pages
# (HTML through winnow ingest), Debian copyright files, README histories, the English
# paragraphs of the langid set). The chain's speed depends on the text: on prose most
# documents pass every filter, while most copyright files' bytes leave early, so the chain is
# also given per input:
#   1. in memory (bench/filter_bench.c): ceiling byte loop, each filter, the default chain
#      at 1 thread and all threads;
#   2. end to end: `winnow filter` -j1 and -j2 over the same JSONL (adds JSON parsing and
#      zstd output, i.e. the runner's cost), and `--where` over the annotated output (mostly
#      the runner: JSON documents carrying ~35 signals each, parsed and written again);
#   3. the fixed costs: the start-up (`winnow filter` of a one-line file: the model, lists
#      and databases loaded, every thread's first touch of its memory), and -j1 and -j2
#      over the JSONL given 4 times, where they weigh four times less: what -j2 does with
#      a bigger input is what scaling means for a user with terabytes.
# Not part of CI: the machine is shared, so numbers are under load.
set -e
cd "$(dirname "$0")/.."
S=${WINNOW_SHARED:-../shared}/data
[ -d "$S/quality" ] || { echo "skipped: $S not found"; exit 0; }
make -s build/libwinnow.a winnow >/dev/null
# threads that spin at barriers steal the shared cores from the work: wait passively
export OMP_WAIT_POLICY=passive
PKGS=$(sed -n 's/^PKGS *:= *//p' Makefile)
cc -std=c11 -D_GNU_SOURCE -O2 -fopenmp -I. $(pkg-config --cflags $PKGS) bench/filter_bench.c \
   build/libwinnow.a $(pkg-config --libs $PKGS) -lm -lpthread -o build/filter_bench
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# web pages as a crawl gives them: the article-extraction benchmark's news and blog pages and
# the wget crawls, through winnow's own HTML-to-text ingest
./winnow ingest --quiet -j1 "$S/html/article-extraction-benchmark/html" "$S/warc/wget" \
    "$S/warc/dolma" -o "$T/web"
zstdcat "$T"/web/*.jsonl.zst > "$T/web.jsonl"
FILES="$S/quality/quality.jsonl.gz $T/web.jsonl $S/dedup/copyright.jsonl.gz $S/dedup/doc-history.jsonl.gz $S/langid/langid.jsonl.gz"
./build/filter_bench $FILES
for f in $FILES; do zcat -f "$f"; done > "$T/in.jsonl"
mb=$(wc -c < "$T/in.jsonl" | awk '{print $1 / 1e6}')
now() { date +%s.%N; }
# CPU seconds (user + system) of one run, written to $T/cpu.<tag>
cpu() { tag=$1; shift; /usr/bin/time -f '%U %S' -o "$T/cpu.$tag" "$@"; }
t0=$(now); cpu 1 ./winnow filter --quiet -j1 "$T/in.jsonl" -o "$T/o1"; t1=$(now)
cpu 2 ./winnow filter --quiet -j2 "$T/in.jsonl" -o "$T/o2"; t2=$(now)
# the runner's own cost, JSON above all: the annotated documents (~35 signals each) read back,
# thresholds applied to the stored signals (--where, cheap) and written out again
./winnow filter --quiet -j1 --annotate-only "$T/in.jsonl" -o "$T/a"
zstdcat "$T"/a/*.jsonl.zst > "$T/annotated.jsonl"
mbw=$(wc -c < "$T/annotated.jsonl" | awk '{print $1 / 1e6}')
cpu 3 ./winnow filter --quiet -j1 --where 'gopher.symbol_ratio <= 0.15 && langid.score >= 0.65' \
    "$T/annotated.jsonl" -o "$T/w"
# the fixed cost: CPU of 10 runs over one line (time counts the shell's children), over 10
head -n 1 "$T/in.jsonl" > "$T/one.jsonl"
cpu 0 sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do ./winnow filter --quiet -j1 "$1" -o "$2" --force; done' \
    sh "$T/one.jsonl" "$T/o0"
for i in 1 2 3 4; do cat "$T/in.jsonl"; done > "$T/in4.jsonl"
t3=$(now); cpu 4 ./winnow filter --quiet -j1 "$T/in4.jsonl" -o "$T/o4"; t4=$(now)
cpu 5 ./winnow filter --quiet -j2 "$T/in4.jsonl" -o "$T/o5"; t5=$(now)
rm -rf "$T/in4.jsonl" "$T/o4" "$T/o5"
c0=$(awk '{print ($1 + $2) / 10}' "$T/cpu.0")
c1=$(awk '{print $1 + $2}' "$T/cpu.1"); c2=$(awk '{print $1 + $2}' "$T/cpu.2")
c3=$(awk '{print $1 + $2}' "$T/cpu.3"); c4=$(awk '{print $1 + $2}' "$T/cpu.4")
c5=$(awk '{print $1 + $2}' "$T/cpu.5")
awk -v mb="$mb" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v c1="$c1" -v c2="$c2" -v mbw="$mbw" -v c3="$c3" \
    -v c0="$c0" -v t3="$t3" -v t4="$t4" -v t5="$t5" -v c4="$c4" -v c5="$c5" 'BEGIN {
    printf "\nend to end, winnow filter over %.1f MB of JSONL (all languages, JSON + zstd included):\n", mb
    printf "  %-32s %9.1f MB/s wall, %9.1f MB per CPU-s\n", "-j1", mb / (t1 - t0), mb / c1
    printf "  %-32s %9.1f MB/s wall (speed-up %.2fx), %9.1f MB per CPU-s\n", "-j2", mb / (t2 - t1),
           (t1 - t0) / (t2 - t1), mb / c2
    printf "  %-32s %9.1f MB per CPU-s (%.1f MB of annotated JSONL)\n", "-j1 --where, annotated input", mbw / c3, mbw
    printf "  %-32s %9.3f CPU-s, %.0f%% of the -j1 run above\n", "start-up (a one-line input)", c0, 100 * c0 / c1
    printf "the same JSONL 4 times (%.1f MB):\n", 4 * mb
    printf "  %-32s %9.1f MB/s wall, %9.1f MB per CPU-s\n", "-j1", 4 * mb / (t4 - t3), 4 * mb / c4
    printf "  %-32s %9.1f MB/s wall (speed-up %.2fx), %9.1f MB per CPU-s\n", "-j2", 4 * mb / (t5 - t4),
           (t4 - t3) / (t5 - t4), 4 * mb / c5
}'
