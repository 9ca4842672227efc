# Bad input through the default chain: empty text, a megabyte on one line, no newline at the
# end of the file, control characters, invalid UTF-8, a broken JSON line. No crash, exit 0,
# a defined decision for each document, and counts that reconcile.
set -u
W=$WINNOW
python3 - "$TMP/bad.jsonl" <<'PY'
import json, sys
prose = ("The committee met on Tuesday to discuss the budget, and the members agreed that "
         "the schools of the county should have more money for books. ")
docs = [
    {"id": "empty", "text": ""},
    {"id": "blank", "text": " \n\t\n"},
    {"id": "mega", "text": ("word " * 210000)},
    {"id": "ctrl", "text": prose * 8 + "\x01\x02\x1b[31m\x7f end."},
    {"id": "good", "text": (prose * 3 + "\n\n") * 4},
]
with open(sys.argv[1], "wb") as f:
    for d in docs:
        f.write(json.dumps(d).encode() + b"\n")
    f.write(b'{"id": "broken", "text": \n')
    # raw invalid UTF-8 bytes inside the JSON string, and no final newline
    f.write(b'{"id": "badutf8", "text": "caf\xe9 \xff\xfe ' + prose.encode() * 6 + b'"}')
PY
$W filter -j2 "$TMP/bad.jsonl" -o "$TMP/out" --removed "$TMP/rm" 2> "$TMP/err" || { cat "$TMP/err"; exit 1; }
python3 - "$TMP/out/filter-00000.stats.json" <<'PY' || exit 1
import json, sys
j = json.load(open(sys.argv[1]))
src = j["source"]
errors = sum(e["count"] for e in src["errors"].values())
assert src["docs_in"] == src["docs_out"] + errors + sum(d["docs"] for d in src["drops"].values()), src
assert errors >= 1, "broken line not counted"
total_drops = 0
for s in j["stages"]:
    total_drops += sum(d["docs"] for d in s["drops"].values())
uni = j["stages"][0]
assert uni["drops"]["unicode.empty"]["docs"] == 2, uni["drops"]
last = j["stages"][-1]
assert src["docs_out"] == last["docs_out"] + total_drops
PY
zstdcat "$TMP"/rm/*.jsonl.zst | grep -q '"id":"empty".*"winnow_removed_by":"unicode.empty"' || { echo "empty decision"; exit 1; }
zstdcat "$TMP"/rm/*.jsonl.zst | grep '"id":"mega"' | grep -q 'winnow_removed_by' || { echo "mega decision"; exit 1; }
exit 0
