#!/bin/sh
# tok_bench.sh: the Llama 3 tokenizer's speed, side by side with tiktoken and Hugging Face
# tokenizers (npm, installed into bench/out/tok-node, git-ignored) on the same real text in
# one run, with an identity check of the ids. Corpora (../shared/data, real text only):
#   english       Brown corpus prose (quality.jsonl.gz, label high), 1.5 MB
#   english-16mb  the same prose plus Debian copyright files and README histories
#                 (dedup/*.jsonl.gz), 16.6 MB: long enough that the per-thread piece
#                 cache fills once per pass, as in a real run over a corpus
#   multilingual  Debian documentation paragraphs in 43 languages (langid.jsonl.gz)
#   multilingual-17mb  the Debian Installation Guide's pages in its 19 languages (Debian
#                 package installation-guide-amd64, fetched by apt-get download and made
#                 text by winnow ingest), 17.2 MB: the multilingual counterpart of
#                 english-16mb, a run long enough for the caches to fill once; skipped
#                 when the package cannot be fetched
#   multilingual-12mb  GNOME Help in 41 languages, 8 of them Indic, Persian and Hebrew
#                 among them (Debian package gnome-user-docs, by apt-get download;
#                 bench/mallard_text.py makes its pages text and shuffles them), 11.6 MB:
#                 languages mixed page by page; skipped when the package cannot be fetched
# winnow's figures hand each pass's documents out grouped by script, as `winnow tokenize`
# does (core/handout.h), then the same in input order. Then the pathological inputs, and
# `winnow tokenize` end to end on the two long corpora (8 copies each) at -j1 and -j2. The
# machine is shared: numbers are under load. First, the time of a load at random in 1 to 16
# MB (tok_bench --latency): where it jumps to DRAM's ~130 ns is how much last-level cache
# the run had, which other guests change by the minute.
set -eu
cd "$(dirname "$0")/.."
SHARED=${WINNOW_SHARED:-../shared}/data
OUT=bench/out
mkdir -p "$OUT"
make -s build/libwinnow.a winnow
# the libraries the Makefile links (libwinnow.a's objects need some of each)
PKGS=$(sed -n 's/^PKGS *:= *//p' Makefile)
cc -O2 -std=c11 -D_GNU_SOURCE -fopenmp -I. bench/tok_bench.c build/libwinnow.a \
    $(pkg-config --cflags --libs $PKGS) -lm -o "$OUT/tok_bench"
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
CORPORA="english english-16mb multilingual"
IG=$OUT/installation-guide
if [ ! -s "$OUT/tok-multilingual-17mb.jsonl" ]; then
    rm -rf "$IG" && mkdir -p "$IG"
    if (cd "$IG" && apt-get download -q installation-guide-amd64 >/dev/null 2>&1); then
        dpkg-deb -x "$IG"/installation-guide-amd64_*.deb "$IG/x"
        for dir in "$IG"/x/usr/share/doc/installation-guide-amd64/*/; do
            ./winnow ingest --quiet -j2 "$dir" -o "$IG/text/$(basename "$dir")"
        done
        for f in "$IG"/text/*/*.jsonl.zst; do zstdcat "$f"; done | python3 -c '
import json, sys
for line in sys.stdin:
    print(json.dumps({"text": json.loads(line)["text"]}))' > "$OUT/tok-multilingual-17mb.jsonl"
    else
        echo "(multilingual-17mb skipped: apt-get download installation-guide-amd64 failed)"
    fi
fi
[ -s "$OUT/tok-multilingual-17mb.jsonl" ] && CORPORA="$CORPORA multilingual-17mb"
GH=$OUT/gnome-user-docs
if [ ! -s "$OUT/tok-multilingual-12mb.jsonl" ]; then
    rm -rf "$GH" && mkdir -p "$GH"
    if (cd "$GH" && apt-get download -q gnome-user-docs >/dev/null 2>&1); then
        dpkg-deb -x "$GH"/gnome-user-docs_*.deb "$GH/x"
        python3 bench/mallard_text.py "$GH/x/usr/share/help" "$OUT/tok-multilingual-12mb.jsonl"
    else
        echo "(multilingual-12mb skipped: apt-get download gnome-user-docs failed)"
    fi
fi
[ -s "$OUT/tok-multilingual-12mb.jsonl" ] && CORPORA="$CORPORA multilingual-12mb"
"$OUT/tok_bench" --latency
for corpus in $CORPORA; do
    echo "== $corpus"
    # passive: idle OpenMP threads sleep instead of spinning, so CPU time is work done
    OMP_WAIT_POLICY=passive OMP_PROC_BIND=false "$OUT/tok_bench" "$OUT/tok-$corpus.jsonl" "$OUT/tok-$corpus.ids" 1 2
    RAYON_NUM_THREADS=1 UV_THREADPOOL_SIZE=1 node bench/tok_peers.mjs "$(pwd)/$DEPS" \
        "$OUT/tok-$corpus.jsonl" "$OUT/tok-$corpus.ids" data/tokenizer/llama3.tiktoken \
        "$SHARED/tokenizer/tokenizer.json"
done
echo "== pathological (one thread)"
"$OUT/tok_bench" --pathological "$OUT/tok-english.jsonl"
# The command a user runs, end to end: winnow tokenize from JSONL to Megatron shards, the
# tokenizer's load (~0.06 s), JSON parsing and the writing included. Eight copies of a long
# corpus, so that the load weighs little; best of 3 wall times at -j1 and at -j2.
echo "== winnow tokenize end to end (8 copies of a corpus; wall time, best of 3)"
for corpus in english-16mb multilingual-17mb; do
    [ -s "$OUT/tok-$corpus.jsonl" ] || continue
    E2E=$OUT/e2e-$corpus
    for i in 1 2 3 4 5 6 7 8; do cat "$OUT/tok-$corpus.jsonl"; done > "$E2E.jsonl"
    walls=$(python3 bench/tokenize_walls.py "$E2E.jsonl" "$E2E-out/x")
    python3 - "$corpus" "$E2E" $walls <<'PY'
import json, sys
corpus, base, j1, j2 = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
mb = sum(len(json.loads(l)["text"].encode()) for l in open(base + ".jsonl")) / 1e6
print("%-20s %6.1f MB of text: -j1 %.2f s (%.0f MB/s), -j2 %.2f s (%.0f MB/s): %.2fx" % (
    corpus + " x8", mb, j1, mb / j1, j2, mb / j2, j1 / j2))
PY
    rm -rf "$E2E.jsonl" "$E2E-out"
done
# Chat data for fine-tuning, end to end: `winnow tokenize --chat` (the Llama 3 Instruct layout
# and the loss mask) over ~16 MB of conversations made of the real texts above, each a
# system prompt in one of three, then two user and assistant turns: the multilingual
# paragraphs and the Brown prose in a fixed shuffle. Against the same texts as plain
# documents, which is what the chat layout costs.
echo "== winnow tokenize --chat end to end (~16 MB of conversations; wall time, best of 3)"
python3 - "$SHARED" "$OUT" <<'PY'
import gzip, json, random, sys
shared, out = sys.argv[1], sys.argv[2]
texts = [json.loads(l)["text"] for l in gzip.open(shared + "/langid/langid.jsonl.gz", "rt")]
texts += [json.loads(l)["text"] for l in gzip.open(shared + "/quality/quality.jsonl.gz", "rt")]
rnd = random.Random(7)
chat, plain, size = open(out + "/chat.jsonl", "w"), open(out + "/chat-plain.jsonl", "w"), 0
while size < 16e6:
    rnd.shuffle(texts)
    for i in range(0, len(texts) - 3, 4):
        msgs = [{"role": "system", "content": "You are a helpful assistant."}] if i % 3 == 0 else []
        for k in range(4):
            msgs.append({"role": ("user", "assistant")[k % 2], "content": texts[i + k]})
        line = json.dumps({"messages": msgs}, ensure_ascii=False)
        chat.write(line + "\n")
        plain.write(json.dumps({"text": "\n\n".join(m["content"] for m in msgs)}, ensure_ascii=False) + "\n")
        size += len(line.encode())
        if size >= 16e6:
            break
chat.close(); plain.close()
labels = {"chat": "%.1f MB of conversations, --chat" % (size / 1e6),
          "chat-plain": "their texts as plain documents"}
sys.path.insert(0, "bench")
from tokenize_walls import best_walls
for name, extra in (("chat", ["--chat"]), ("chat-plain", [])):
    j1, j2 = best_walls(out + "/" + name + ".jsonl", out + "/" + name + "-out/x", extra)
    print("%-40s -j1 %.2f s, -j2 %.2f s" % (labels[name] + ":", j1, j2))
PY
rm -rf "$OUT/chat-out" "$OUT/chat-plain-out"
