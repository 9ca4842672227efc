# --where and `winnow stats` against what users type and what disks hold (second audit):
# a threshold of nan (every comparison false: everything removed, exit 0) or 1e999 is refused;
# 60,000 nested parentheses overflowed the stack (a segfault), now refused; a stats file cut
# short or a directory that is not there left partial totals with exit 0: now the totals of
# the readable files are printed, the others named, and the exit status is 1; JSON that is
# not a stage's statistics (annotate.stats.json) is skipped with a warning, not an error.
set -u
W=$WINNOW
cd "$TMP" || exit 1
python3 - <<'PY'
import json
prose = ("The committee met on Tuesday to discuss the budget of the county schools, and "
         "the members agreed that the libraries should have more money for new books. ")
with open("in.jsonl", "w") as f:
    for i in range(3):
        f.write(json.dumps({"id": str(i), "text": prose * (4 + i)}) + "\n")
PY
$W filter --annotate-only in.jsonl -o ann --quiet || exit 1
for e in 'gopher.symbol_ratio <= nan' 'gopher.symbol_ratio > -inf' 'gopher.symbol_ratio <= 1e999'; do
    $W filter ann -o "out$e" --quiet --where "$e" 2> err; rc=$?
    [ $rc -eq 2 ] && grep -q "finite number" err || { echo "'$e': exit $rc: $(cat err)"; exit 1; }
done
$W filter ann -o quoted --quiet --where 'langid.language != "nan"' || { echo "quoted nan refused"; exit 1; }
deep=$(python3 -c "print('(' * 60000 + 'gopher.symbol_ratio < 1' + ')' * 60000)")
$W filter ann -o deep --quiet --where "$deep" 2> err; rc=$?
[ $rc -eq 2 ] && grep -q "nested more than 64 deep" err || { echo "deep nesting: exit $rc"; exit 1; }
ok=$(python3 -c "print('(' * 40 + 'gopher.symbol_ratio < 1' + ')' * 40)")
$W filter ann -o ok --quiet --where "$ok" || { echo "40 parentheses refused"; exit 1; }
many=$(python3 -c "print(' && '.join(['gopher.symbol_ratio < 1'] * 2000))")
$W filter ann -o many --quiet --where "$many" 2> err; rc=$?
[ $rc -eq 2 ] && grep -q "more than 1000 comparisons" err || { echo "2000 terms: exit $rc"; exit 1; }

# stats: one good directory, one stats file cut short, one missing directory
mkdir -p cut other
head -c 200 ann/filter-00000.stats.json > cut/filter-00000.stats.json
printf '{"config": "x", "labels": 3}\n' > other/annotate.stats.json
$W stats ann other > out 2> err || { echo "other JSON failed stats: $(cat err)"; exit 1; }
grep -q "annotate.stats.json.*skipped" err || { echo "no warning: $(cat err)"; exit 1; }
grep -q "^1 statistics file(s)$" out || { echo "count: $(head -1 out)"; exit 1; }
$W stats ann cut nowhere > out 2> err; rc=$?
[ $rc -eq 1 ] || { echo "partial totals exit $rc, want 1"; exit 1; }
grep -q "cut/filter-00000.stats.json" err && grep -q "cannot read 'nowhere': No such file" err \
    || { echo "errors: $(cat err)"; exit 1; }
grep -q "^1 statistics file(s), 2 left out" out || { echo "summary: $(head -1 out)"; exit 1; }
grep -q "filter.read in 3 docs" out || { echo "good totals missing"; exit 1; }
$W stats --top -3 ann > /dev/null 2>&1; [ $? -eq 2 ] || { echo "--top -3 accepted"; exit 1; }
exit 0
