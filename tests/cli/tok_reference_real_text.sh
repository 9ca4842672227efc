#!/bin/sh
# winnow's Llama 3 ids against the reference library on real text nobody chose: ~24 MB cut at
# random from ../shared/data's documents and web archives, the Python standard library, C
# headers, Debian changelogs and installed programs' translations (tests/tok-reference/
# real_texts.py), encoded by `winnow encode --jsonl -j 2` with the shipped tiktoken file and
# with Meta's tokenizer.json, and by npm tiktoken (tools/install-test-deps.sh). Every id must
# match. tok_reference_fuzz.sh reaches the pattern's corners with chosen pieces; this one
# checks the common paths (whole words, the piece caches, premerged characters, cut CJK
# runs, long pieces) on the kinds of text a corpus holds.
set -u
. "$(dirname "$0")/../tok-reference/env.sh"
python3 "$REF/real_texts.py" 20261125 24000000 "$TMP/texts.jsonl" "$WINNOW_SHARED/data" || exit 1
"$WINNOW" encode --jsonl -j 2 "$TMP/texts.jsonl" > "$TMP/ids.jsonl" || exit 1
node --max-old-space-size=4096 "$REF/compare.mjs" "$TMP/texts.jsonl" "$TMP/ids.jsonl" "$MODEL" ||
    exit 1
JSON="$WINNOW_SHARED/data/tokenizer/tokenizer.json"
[ -f "$JSON" ] || exit 0
"$WINNOW" encode --jsonl -j 2 --tokenizer "$JSON" "$TMP/texts.jsonl" > "$TMP/ids-json.jsonl" ||
    exit 1
cmp -s "$TMP/ids.jsonl" "$TMP/ids-json.jsonl" || {
    echo "tokenizer.json gives other ids than the tiktoken file"; exit 1; }
