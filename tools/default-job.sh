#!/bin/sh
# The default job behind `make run`: the whole pipeline - ingest -> filter -> dedup ->
# classify -> tokenize -> mix - on the sample crawls shipped in data/sample/crawl, from one
# config (configs/sample.yaml). It ends with the statistics table and the path of the
# training shards. Run `./winnow run configs/sample.yaml` again after an interruption:
# finished tasks are not redone (this script starts from scratch).
set -e
cd "$(dirname "$0")/.."
rm -rf out/sample
exec ./winnow run configs/sample.yaml
