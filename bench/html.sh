#!/bin/sh
# bench/html.sh: HTML-to-text speed (MB/s per core vs libxml2 parse-only) and quality
# (article-extraction-benchmark F1) on ../shared/data/html/article-extraction-benchmark.
# Run from the repository root after `make` (make bench does both).
set -e
cd "$(dirname "$0")/.."
DATA=${WINNOW_SHARED:-../shared}/data/html/article-extraction-benchmark
if [ ! -d "$DATA/html" ]; then
    echo "html bench: '$DATA' not found: skipped"
    exit 0
fi
PKGS=$(sed -n 's/^PKGS *:= *//p' Makefile) # the libraries the Makefile links
mkdir -p build/bench
make -s build/libwinnow.a
${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -g -I. $(pkg-config --cflags $PKGS) -fopenmp \
    -o build/bench/html_bench bench/html_bench.c build/libwinnow.a \
    $(pkg-config --libs $PKGS) -lm -lpthread
echo "== HTML to text: speed (machine shared with other jobs: figures are under load)"
build/bench/html_bench speed "$DATA" "${HTML_BENCH_SECONDS:-3}"
echo "== HTML to text: quality (scrapinghub article-extraction-benchmark metric)"
build/bench/html_bench dump "$DATA" build/bench/html-pred.json
python3 bench/html_eval.py "$DATA/ground-truth.json" build/bench/html-pred.json
