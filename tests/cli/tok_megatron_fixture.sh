# winnow tokenize against tests/data/mix/*.bin/.idx, Megatron datasets written independently
# by tools/make-mix-fixtures.py from golden.jsonl's reference ids (HF tokenizers): the same
# documents through winnow must give the same bytes, .bin and .idx.
set -u
W=$WINNOW
GOLDEN=$WINNOW_SHARED/data/tokenizer/golden.jsonl
[ -r "$GOLDEN" ] || { echo "no $GOLDEN"; exit 77; }
command -v python3 >/dev/null || { echo "no python3"; exit 77; }
for name in web code multilingual; do
    # the fixture script's selection, texts only
    python3 - "$GOLDEN" "$name" > "$TMP/$name.jsonl" <<'PY' || exit 1
import json, sys
groups = {"web": ["english-prose", "email", "contractions", "numbers-tables"],
          "code": ["code-c", "code-python", "code-shell-perl", "code-markup-config"],
          "multilingual": ["cjk", "rtl", "other-scripts", "latin-european", "emoji"]}
total = 0
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if r["cat"] in groups[sys.argv[2]] and r["ids"] and total + len(r["ids"]) + 1 <= 25000:
        print(json.dumps({"text": r["text"]}))
        total += len(r["ids"]) + 1
PY
    $W tokenize --quiet -j 2 "$TMP/$name.jsonl" -o "$TMP/out/$name" || exit 1
    cmp "$TMP/out/$name.bin" "tests/data/mix/$name.bin" || { echo "$name.bin differs"; exit 1; }
    cmp "$TMP/out/$name.idx" "tests/data/mix/$name.idx" || { echo "$name.idx differs"; exit 1; }
done
exit 0
