# winnow filter on real text (Brown prose + spam from ../shared/data/quality): the default
# chain runs, output is byte-identical at 1 and 2 threads, counts reconcile per stage,
# removed documents carry their reason, and stats shows the filter report and samples.
set -u
W=$WINNOW
Q="$WINNOW_SHARED/data/quality/quality.jsonl.gz"
[ -f "$Q" ] || { echo "shared data '$Q' not found"; exit 77; }
zcat "$Q" | head -n 600 > "$TMP/q.jsonl"
$W filter --quiet -j1 "$TMP/q.jsonl" -o "$TMP/o1" --removed "$TMP/r1" || exit 1
$W filter --quiet -j2 "$TMP/q.jsonl" -o "$TMP/o2" --removed "$TMP/r2" || exit 1
cmp "$TMP/o1/filter-00000-0000.jsonl.zst" "$TMP/o2/filter-00000-0000.jsonl.zst" || { echo "-j1 and -j2 differ"; exit 1; }
cmp "$TMP/r1/filter-00000-0000.jsonl.zst" "$TMP/r2/filter-00000-0000.jsonl.zst" || { echo "removed differ"; exit 1; }
python3 - "$TMP/o1/filter-00000.stats.json" <<'PY' || exit 1
import json, sys
j = json.load(open(sys.argv[1]))
prev = j["source"]["docs_out"]
for s in j["stages"]:
    drops = sum(d["docs"] for d in s["drops"].values())
    errors = sum(e["count"] for e in s["errors"].values())
    assert s["docs_in"] == prev, (s["stage"], s["docs_in"], prev)
    assert s["docs_in"] == s["docs_out"] + drops + errors, s["stage"]
    prev = s["docs_out"]
names = [s["stage"] for s in j["stages"]]
assert names[:3] == ["unicode", "url", "langid"], names
assert j["stages"][2]["drops"], "langid dropped nothing from spam"
PY
kept=$(zstdcat "$TMP/o1"/filter-00000-0000.jsonl.zst | wc -l)
removed=$(zstdcat "$TMP/r1"/*.jsonl.zst | wc -l)
[ $((kept + removed)) -eq 600 ] || { echo "kept $kept + removed $removed != 600"; exit 1; }
zstdcat "$TMP/r1"/*.jsonl.zst | grep -q '"winnow_removed_by":"c4.too_few_sentences"' || { echo "no reason in removed"; exit 1; }
# kept documents carry their signals
zstdcat "$TMP/o1"/filter-00000-0000.jsonl.zst | head -1 | grep -q '"gopher.mean_word_length":\[\[0,' || { echo "no signals"; exit 1; }
$W stats "$TMP/o1" > "$TMP/stats.txt" || exit 1
grep -q "filter.gopher_quality: signals" "$TMP/stats.txt" || { echo "no signal report"; cat "$TMP/stats.txt"; exit 1; }
grep -q "domains that lost most" "$TMP/stats.txt" || { echo "no domain report"; exit 1; }
n=$($W stats "$TMP/r1" --sample 'c4.*' -n 3 | grep -c '^--- c4\.')
[ "$n" -eq 3 ] || { echo "--sample showed $n documents"; exit 1; }
$W filter --print-config | grep -q '"max_symbol_word_ratio": 0.1' || { echo "print-config"; exit 1; }
$W filter --config /nonexistent.yaml "$TMP/q.jsonl" -o "$TMP/x" 2>/dev/null; [ $? -eq 2 ] || { echo "bad config must exit 2"; exit 1; }
printf 'filters:\n  - name: gopher_quality\n    min_doc_wrds: 3\n' > "$TMP/typo.yaml"
$W filter --config "$TMP/typo.yaml" "$TMP/q.jsonl" -o "$TMP/x" 2>&1 | grep -q "unknown parameter 'min_doc_wrds'" || { echo "typo not reported"; exit 1; }
exit 0
