# --annotate-only keeps every document with its signals; --where re-decides a threshold from
# the stored signals without running a filter, and agrees with running the filter itself;
# stats --what-if tells the cost of a threshold.
set -u
W=$WINNOW
Q="$WINNOW_SHARED/data/quality/quality.jsonl.gz"
[ -f "$Q" ] || { echo "shared data '$Q' not found"; exit 77; }
zcat "$Q" > "$TMP/q.jsonl"
printf 'filters:\n  - name: gopher_quality\n    max_symbol_word_ratio: 0.05\n' > "$TMP/g.yaml"
$W filter --quiet --annotate-only --config "$TMP/g.yaml" "$TMP/q.jsonl" -o "$TMP/ann" || exit 1
n=$(zstdcat "$TMP"/ann/*.jsonl.zst | wc -l)
[ "$n" -eq 1966 ] || { echo "annotate-only kept $n of 1966"; exit 1; }
zstdcat "$TMP"/ann/*.jsonl.zst | grep -q '"gopher_quality.would_drop":"gopher.symbol_ratio"' || { echo "no would_drop"; exit 1; }
# re-decide only the symbol ratio at 0.05 from stored signals, and compare with the filter
$W filter --quiet "$TMP/ann" -o "$TMP/w" --where 'gopher.symbol_ratio <= 0.05' || exit 1
printf 'filters:\n  - name: gopher_quality\n    min_doc_words: 0\n    max_avg_word_length: 1000\n    min_avg_word_length: 0\n    max_bullet_lines_ratio: 1\n    max_ellipsis_lines_ratio: 1\n    min_alpha_words_ratio: 0\n    min_stop_words: 0\n    max_symbol_word_ratio: 0.05\n' > "$TMP/only.yaml"
$W filter --quiet --config "$TMP/only.yaml" "$TMP/q.jsonl" -o "$TMP/f" || exit 1
a=$(zstdcat "$TMP"/w/*.jsonl.zst | wc -l)
b=$(zstdcat "$TMP"/f/*.jsonl.zst | wc -l)
[ "$a" -eq "$b" ] && [ "$a" -lt 1966 ] || { echo "--where kept $a, the filter kept $b"; exit 1; }
$W stats "$TMP/w" | grep -q "where: gopher.symbol_ratio <= 0.05" || { echo "where reason not in stats"; exit 1; }
$W stats "$TMP/ann" --what-if 'gopher.symbol_ratio <= 0.05' --what-if 'gopher.symbol_ratio <= 0.15' > "$TMP/wi.txt" || exit 1
grep -q "versus the first EXPR" "$TMP/wi.txt" || { cat "$TMP/wi.txt"; exit 1; }
fails=$(sed -n 's/^  fail EXPR *\([0-9]*\).*/\1/p' "$TMP/wi.txt" | head -1)
[ "$fails" -eq $((1966 - a)) ] || { echo "what-if says $fails fail, --where removed $((1966 - a))"; exit 1; }
$W filter --quiet "$TMP/ann" -o "$TMP/bad" --where 'gopher.symbol_ratio <=' 2>/dev/null; [ $? -eq 2 ] || { echo "bad --where must exit 2"; exit 1; }
# a misspelled signal is in no document: said and counted, not a silent removal of everything
$W filter "$TMP/ann" -o "$TMP/typo" --where 'gopher.symbl_ratio <= 0.05 || gopher.symbol_ratio < 0' 2>"$TMP/typo.err" || exit 1
grep -q "no document has the attribute 'gopher.symbl_ratio'" "$TMP/typo.err" || { echo "typo not warned"; cat "$TMP/typo.err"; exit 1; }
grep -q "gopher.symbol_ratio'" "$TMP/typo.err" && { echo "a present name warned"; exit 1; }
grep -A1 '"where.attribute_never_present"' "$TMP"/typo/*.stats.json | grep -q ': 1' || { echo "never-present not counted"; exit 1; }
$W stats "$TMP/ann" --what-if 'gopher.symbl_ratio <= 0.05' 2>/dev/null | grep -q "no document has 'gopher.symbl_ratio'" || { echo "what-if typo"; exit 1; }
$W filter "$TMP/ann" -o "$TMP/ok" --where 'gopher.symbol_ratio <= 0.05' 2>"$TMP/ok.err" || exit 1
grep -q "no document has" "$TMP/ok.err" && { echo "warned for a present name"; exit 1; }
# what-if over stored documents with a broken line and a cut file: read past them, counted and said
cp -r "$TMP/ann" "$TMP/ann2"
printf 'not json\n' > "$TMP/ann2/junk.jsonl"
zstdcat "$TMP"/ann/*.jsonl.zst | head -c 5000 | gzip | head -c 1500 > "$TMP/ann2/cut.jsonl.gz"
$W stats "$TMP/ann2" --what-if 'gopher.symbol_ratio <= 0.05' > "$TMP/wi2.txt" 2>"$TMP/wi2.err" || exit 1
grep -q "^unreadable: [1-9][0-9]* records and 1 files" "$TMP/wi2.txt" || { echo "unreadable not reported"; cat "$TMP/wi2.txt"; exit 1; }
grep -q "junk.jsonl' line 1" "$TMP/wi2.err" && grep -q "cut.jsonl.gz'" "$TMP/wi2.err" || { echo "unreadable not named"; cat "$TMP/wi2.err"; exit 1; }
$W stats "$TMP/ann2" --what-if 'gopher.symbol_ratio <= 0.05' --json 2>/dev/null | grep -q '"unreadable_files": 1' || { echo "json unreadable"; exit 1; }
exit 0
