#!/bin/sh
# winnow's Llama 3 ids against the reference library itself: 20,000 adversarial texts
# (tests/tok-reference/adversarial.py: every branch of the pre-tokenizer pattern, White_Space
# and its look-alikes, marks, numbers that are not digits, emoji, controls, special-token
# names as plain text; every tenth a long piece, runs and letters run together) encoded by `winnow encode --jsonl -j 2` and by npm tiktoken, the
# library Meta's tokenizer.py calls (installed by tools/install-test-deps.sh). Every id must
# match. Golden sets elsewhere are fixed texts; this one reaches the corners they miss.
set -u
. "$(dirname "$0")/../tok-reference/env.sh"
python3 "$REF/adversarial.py" 20251122 20000 "$TMP/texts.jsonl" || exit 1
"$WINNOW" encode --jsonl -j 2 "$TMP/texts.jsonl" > "$TMP/ids.jsonl" || exit 1
node "$REF/compare.mjs" "$TMP/texts.jsonl" "$TMP/ids.jsonl" "$MODEL"
