#!/bin/sh
# The default job behind `make run`: ingest the sample crawls shipped in data/sample/crawl/ and
# print the statistics. (Later stages join here as they land.)
set -e
cd "$(dirname "$0")/.."
out=out/sample
rm -rf "$out"
./winnow ingest --quiet data/sample/crawl -o "$out/ingest"
echo
./winnow stats "$out/ingest"
echo
echo "documents: $out/ingest/ (Dolma JSONL, zstd); statistics: $out/ingest/*.stats.json"
