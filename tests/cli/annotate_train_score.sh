#!/bin/sh
# End to end (tools/annotate-train-score.sh): a real llama.cpp labels a seeded sample, a
# fastText classifier is trained on the labels, the corpus is scored and kept by threshold.
# The 260K-parameter test model's scores say nothing about quality (they sit near 2, hence
# --bin 2.02 to get both classes); this checks that the three steps fit together, that
# counts reconcile, and that a second run resumes instead of redoing anything.
set -eu
. "$(dirname "$0")/../llm-server/start-server.sh"
CORPUS="$WINNOW_SHARED/data/quality/quality.jsonl.gz"
[ -f "$CORPUS" ] || { echo "skipped: $CORPUS not found"; exit 77; }
command -v jq >/dev/null || { echo "skipped: jq not installed (tools/install-test-deps.sh)"; exit 77; }
start_server ""
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
gzip -dc "$CORPUS" | awk 'NR % 6 == 0' > "$TMP/corpus.jsonl"
n=$(wc -l < "$TMP/corpus.jsonl")
run() {
    "$ROOT/tools/annotate-train-score.sh" --config "$ROOT/tests/llm-server/edu-grammar.yaml" \
        --url "$URL" --model stories260K --sample 24 --bin 2.02 --parallel 3 \
        --train "-epoch 5 -dim 16 -bucket 100000 -thread 1" -o "$TMP/e2e" "$TMP/corpus.jsonl"
}
run 2>"$TMP/1.err" || { cat "$TMP/1.err"; exit 1; }
out="$TMP/e2e"
test "$(wc -l < "$out/annotate/train.txt")" -eq 24
grep -q '^__label__high ' "$out/annotate/train.txt"
grep -q '^__label__low ' "$out/annotate/train.txt"
# every label agrees with its score and the bin
jq -e -s 'all(.[]; .label == (if .score >= 2.02 then "high" else "low" end))' "$out/annotate/labels.jsonl" >/dev/null
test -s "$out/model.bin"
# the classifier reads back its training labels
"$WINNOW" classify predict "$out/model.bin" "$out/annotate/train.txt" | grep -q '^__label__\(high\|low\)$'
# scored: kept + removed = corpus, every kept document has P(high) >= 0.5
kept=$(zstdcat "$out"/scored/*.jsonl.zst | wc -l)
removed=$(jq '.stages[0].drops["classify.below_threshold"].docs // 0' "$out"/scored/*.stats.json)
test $((kept + removed)) -eq "$n"
zstdcat "$out"/scored/*.jsonl.zst | jq -e -s 'all(.[]; .attributes.quality[0][2] >= 0.5)' >/dev/null
# a second run asks the server nothing and redoes nothing
before=$(server_requests)
run 2>"$TMP/2.err"
test "$(server_requests)" -eq "$before"
grep -q "is complete" "$TMP/2.err"
