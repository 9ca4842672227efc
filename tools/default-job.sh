#!/bin/sh
# The default job behind `make run`: the whole pipeline - ingest -> filter -> dedup ->
# classify -> tokenize -> mix - on the sample crawls shipped in data/sample/crawl, from one
# config (configs/sample.yaml). It ends with the statistics table and the path of the
# training shards. Run it again after an interruption: finished tasks are not redone.
set -e
cd "$(dirname "$0")/.."
out=out/sample
rm -rf "$out"
missing=""
for c in ingest filter dedup classify tokenize mix run; do
    ./winnow "$c" --help >/dev/null 2>&1 || missing="$missing $c"
done
if [ -z "$missing" ]; then
    exec ./winnow run configs/sample.yaml
fi
# Until every stage command is in this build: ingest only, as before.
echo "this build lacks:$missing - running ingest only" >&2
./winnow ingest --quiet data/sample/crawl -o "$out/ingest"
echo
./winnow stats "$out/ingest"
echo
echo "documents: $out/ingest/ (Dolma JSONL, zstd); statistics: $out/ingest/*.stats.json"
