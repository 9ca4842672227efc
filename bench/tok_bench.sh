#!/bin/sh
# tok_bench.sh: the Llama 3 tokenizer's speed, side by side with tiktoken and Hugging Face
# tokenizers (npm, installed into bench/out/tok-node, git-ignored) on the same real text in
# one run, with an identity check of the ids. Corpora (../shared/data, real text only):
#   english       Brown corpus prose (quality.jsonl.gz, label high), 1.5 MB
#   english-16mb  the same prose plus Debian copyright files and README histories
#                 (dedup/*.jsonl.gz), 16.6 MB: long enough that the per-thread piece
#                 cache fills once per pass, as in a real run over a corpus
#   multilingual  Debian documentation paragraphs in 43 languages (langid.jsonl.gz)
# Then the pathological inputs. The machine is shared: numbers are under load.
set -eu
cd "$(dirname "$0")/.."
SHARED=${WINNOW_SHARED:-../shared}/data
OUT=bench/out
mkdir -p "$OUT"
make -s build/libwinnow.a
cc -O2 -std=c11 -D_GNU_SOURCE -fopenmp -I. bench/tok_bench.c build/libwinnow.a \
    $(pkg-config --cflags --libs icu-uc icu-i18n libxxhash jansson zlib libzstd) -lm -o "$OUT/tok_bench"
DEPS=$OUT/tok-node
if [ ! -d "$DEPS/node_modules/tokenizers" ] || [ ! -d "$DEPS/node_modules/tiktoken" ]; then
    npm install --silent --no-audit --no-fund --prefix "$DEPS" tiktoken@1 tokenizers@0.23 >/dev/null
fi
python3 - "$SHARED" "$OUT" <<'PY'
import gzip, json, sys
shared, out = sys.argv[1], sys.argv[2]
with open(out + "/tok-english.jsonl", "w") as f:
    for l in gzip.open(shared + "/quality/quality.jsonl.gz", "rt"):
        d = json.loads(l)
        if d["label"] == "high":
            f.write(json.dumps({"text": d["text"]}) + "\n")
with open(out + "/tok-english-16mb.jsonl", "w") as f:
    for l in gzip.open(shared + "/quality/quality.jsonl.gz", "rt"):
        d = json.loads(l)
        if d["label"] == "high":
            f.write(json.dumps({"text": d["text"]}) + "\n")
    for name in ("copyright", "doc-history"):
        for l in gzip.open(shared + "/dedup/" + name + ".jsonl.gz", "rt"):
            f.write(json.dumps({"text": json.loads(l)["text"]}) + "\n")
with open(out + "/tok-multilingual.jsonl", "w") as f:
    for l in gzip.open(shared + "/langid/langid.jsonl.gz", "rt"):
        f.write(json.dumps({"text": json.loads(l)["text"]}) + "\n")
PY
export WINNOW_DATA=$(pwd)/data
for corpus in english english-16mb multilingual; do
    echo "== $corpus"
    # passive: idle OpenMP threads sleep instead of spinning, so CPU time is work done
    OMP_WAIT_POLICY=passive OMP_PROC_BIND=false "$OUT/tok_bench" "$OUT/tok-$corpus.jsonl" "$OUT/tok-$corpus.ids" 1 2
    RAYON_NUM_THREADS=1 UV_THREADPOOL_SIZE=1 node bench/tok_peers.mjs "$(pwd)/$DEPS" \
        "$OUT/tok-$corpus.jsonl" "$OUT/tok-$corpus.ids" data/tokenizer/llama3.tiktoken \
        "$SHARED/tokenizer/tokenizer.json"
done
echo "== pathological (one thread)"
"$OUT/tok_bench" --pathological
