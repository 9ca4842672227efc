#!/bin/sh
# winnow annotate against a real llama.cpp (tests/llm-server): labels with expected values
# over log-probabilities, yes/no classes, the API key sent but never written anywhere,
# 401 stops the run, a complete run is not asked again, train.txt in fastText format.
set -eu
. "$(dirname "$0")/../llm-server/start-server.sh"
CORPUS="$WINNOW_SHARED/data/quality/quality.jsonl.gz"
[ -f "$CORPUS" ] || { echo "skipped: $CORPUS not found"; exit 77; }
export WN_TEST_KEY="sk-test-$$-secret"
start_server "" --api-key-env WN_TEST_KEY
CFG="$(dirname "$0")/../llm-server"

"$WINNOW" annotate --config "$CFG/edu-grammar.yaml" --url "$URL" --model stories260K \
    --api-key-env WN_TEST_KEY --sample 12 --seed 7 --parallel 4 -o "$TMP/edu" "$CORPUS" 2>"$TMP/edu.err"
out="$TMP/edu"
test "$(wc -l < "$out/labels.jsonl")" -eq 12
test ! -s "$out/unparseable.jsonl"
test "$(server_requests)" -eq 12
# every score came from log-probabilities: a fractional expected value in [0, 5]
jq -e -s 'all(.[]; .method == "logprobs" and .score >= 0 and .score <= 5 and .mass > 0.99)' "$out/labels.jsonl" >/dev/null
jq -e -s 'any(.[]; .score != (.score | floor))' "$out/labels.jsonl" >/dev/null
# label = nearest integer of the score
jq -e -s 'all(.[]; .label == ((.score + 0.5) | floor | tostring))' "$out/labels.jsonl" >/dev/null
# train.txt: one fastText example per labelled document, in sample order
test "$(wc -l < "$out/train.txt")" -eq 12
test "$(grep -c '^__label__[0-5] [^ ]' "$out/train.txt")" -eq 12
test -f "$out/annotate.done"
jq -e '.docs_in == 12 and .docs_out == 12 and .sums.requests == 12' "$out/annotate.stats.json" >/dev/null
# the sample is the seeded one: same seed, same documents, in a fresh directory
"$WINNOW" annotate --config "$CFG/edu-grammar.yaml" --url "$URL" --model stories260K \
    --api-key-env WN_TEST_KEY --sample 12 --seed 7 --quiet -o "$TMP/edu2" "$CORPUS"
cmp "$out/train.txt" "$TMP/edu2/train.txt"
# the sample holds the corpus's own documents (ids and texts as read)
zstdcat "$out/sample.jsonl.zst" | jq -r .id > "$TMP/ids1"
test "$(wc -l < "$TMP/ids1")" -eq 12
test "$(gzip -dc "$CORPUS" | jq -r .id | grep -cxF -f "$TMP/ids1")" -ge 12
jq -e -s 'all(.[]; .id != "")' "$out/labels.jsonl" >/dev/null
# complete: running again asks nothing
n=$(server_requests)
"$WINNOW" annotate --config "$CFG/edu-grammar.yaml" --url "$URL" --model stories260K \
    --api-key-env WN_TEST_KEY --sample 12 --seed 7 -o "$out" "$CORPUS" 2>"$TMP/again.err"
grep -q "is complete" "$TMP/again.err"
test "$(server_requests)" -eq "$n"

# yes/no: classes, P(yes) in [0, 1]
"$WINNOW" annotate --config "$CFG/yesno-grammar.yaml" --url "$URL" --model stories260K \
    --api-key-env WN_TEST_KEY --sample 6 --quiet -o "$TMP/yn" "$CORPUS"
test "$(wc -l < "$TMP/yn/labels.jsonl")" -eq 6
jq -e -s 'all(.[]; (.label == "yes" or .label == "no") and .score >= 0 and .score <= 1)' "$TMP/yn/labels.jsonl" >/dev/null
test "$(grep -c '^__label__\(yes\|no\) ' "$TMP/yn/train.txt")" -eq 6

# the shipped FineWeb-Edu config: the tiny model's free text has no score, so the answers
# are kept aside as unparseable, not guessed (short documents: long prompts are slow here)
gzip -dc "$CORPUS" | jq -c 'select((.text | length) < 400)' | head -n 1 > "$TMP/short.jsonl"
"$WINNOW" annotate --config "$(dirname "$0")/../../configs/annotate/fineweb-edu.yaml" --url "$URL" \
    --model stories260K --api-key-env WN_TEST_KEY --sample 1 --quiet -o "$TMP/fw" "$TMP/short.jsonl"
test "$(($(wc -l < "$TMP/fw/labels.jsonl") + $(wc -l < "$TMP/fw/unparseable.jsonl")))" -eq 1
jq -e -s 'all(.[]; has("answer"))' "$TMP/fw/unparseable.jsonl" >/dev/null

# a wrong key: 401 stops the run (exit 1), and the key is named nowhere
rc=0
WN_TEST_KEY2="sk-wrong-$$-secret" "$WINNOW" annotate --config "$CFG/edu-grammar.yaml" --url "$URL" \
    --model stories260K --api-key-env WN_TEST_KEY2 --sample 3 -o "$TMP/bad" "$CORPUS" 2>"$TMP/bad.err" || rc=$?
test $rc -eq 1
grep -q "answered 401" "$TMP/bad.err"
if grep -rq -e "sk-test-$$" -e "sk-wrong-$$" "$TMP"/*.err "$TMP/edu" "$TMP/yn" "$TMP/fw" "$TMP/bad"; then
    echo "the API key was written to an output or a message"
    exit 1
fi
