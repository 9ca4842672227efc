# Messages the first documentation audit found wrong (docs/audit.md, seventh session,
# second round): tools/annotate-train-score.sh --help was "unknown option"; `classify
# supervised -output /missing/dir/x` trained fully before failing to write, and classify
# put the subject first ("'x.bin': cannot open"); filter config errors named the file
# unquoted and without line and column, where `winnow run` configs say 'FILE':LINE:COL:.
set -u
W=$WINNOW
fail() { echo "$*"; exit 1; }
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$TMP" || exit 1

# 4. the script's usage
sh "$ROOT/tools/annotate-train-score.sh" --help > out 2>&1 || fail "--help: exit $?: $(cat out)"
grep -q "^usage: tools/annotate-train-score.sh --url URL" out && grep -q "^  --top-percent P" out ||
    fail "--help: $(cat out)"
sh "$ROOT/tools/annotate-train-score.sh" --url > out 2>&1; [ $? -eq 2 ] && grep -q -- "--url needs a value" out ||
    fail "--url without a value: $(cat out)"

# 5. classify: the output directory is checked before training; messages as the style
printf '__label__a one two three\n__label__b four five six\n' > train.txt
$W classify supervised -input train.txt -output missing/dir/m -verbose 2 > out 2>&1; [ $? -eq 1 ] || fail "exit"
grep -q "^error: cannot write 'missing/dir/m.bin': No such file or directory" out || fail "output: $(cat out)"
grep -q "Read .* words\|Progress" out && fail "trained before refusing the output: $(cat out)"
$W classify predict nothere.bin - < /dev/null 2> err; grep -q "^error: cannot open 'nothere.bin': No such file" err || fail "open: $(cat err)"
$W classify predict train.txt - < /dev/null 2> err; grep -q "^error: cannot load 'train.txt': not a fastText model" err || fail "load: $(cat err)"
$W classify nonsense 2> err; grep -q "^error: unknown classify command 'nonsense'" err || fail "command: $(cat err)"

# 6. filter config errors: 'FILE':LINE:COL: at the key or filter they are about
printf '{"id":"a","text":"Hello there."}\n' > one.jsonl
printf 'filters:\n  - name: unicode\n  - name: gopher_quality\n    min_doc_wrds: 10\n' > typo.yaml
printf 'filters:\n  - name: unicode\n  - name: gopher_qualty\n' > name.yaml
printf 'filters:\n  - name: c4\n    name: c4\n' > dup.yaml
printf 'filters: [a, b\n' > syntax.yaml
printf '{"filters": [{"name": "gopher_quality", "max_symbol_ratio": 2}]}\n' > typo.json
for c in "typo.yaml:4:5: filter 'gopher_quality': unknown parameter 'min_doc_wrds'" \
         "name.yaml:3:5: unknown filter 'gopher_qualty'" "dup.yaml:3:5: duplicate key 'name'" \
         "syntax.yaml:2:1: did not find expected" \
         "typo.json:1:41: filter 'gopher_quality': unknown parameter 'max_symbol_ratio'"; do
    f=${c%%:*}
    $W filter --config "$f" one.jsonl -o out 2> err; rc=$?
    [ $rc -eq 2 ] && grep -q "^error: '$f':${c#*:}" err || fail "$f: exit $rc: $(cat err)"
done
exit 0
