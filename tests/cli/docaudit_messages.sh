# What the commands print must match what they did (docs/audit.md, seventh session): the
# summary names the --removed directory's files apart from the output's, `stats` names the
# directory without statistics, `mix -o DIR/` names its files without '//', a dedup phase
# run too early says which phase or shard is missing (not "different runs"), and the C4
# config shipped to run as is on the sample crawl does (langid at 0.99 kept nothing).
set -u
W=$WINNOW
fail() { echo "$*"; exit 1; }
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$TMP" || exit 1

printf '{"id":"a","text":"Short."}\n{"id":"b","text":"x"}\n' > in.jsonl
$W filter in.jsonl -o kept/ --removed gone/ 2>err || fail "filter: $(cat err)"
grep -q "0 output file(s) in 'kept/', 1 in 'gone/'" err || fail "summary: $(tail -1 err)"

mkdir empty
$W stats empty 2>err; [ $? -eq 1 ] || fail "stats of an empty directory must exit 1"
grep -q "no \*.stats.json files in 'empty'" err || fail "stats: $(cat err)"

# a mix of one tokenized source
printf '{"id":"a","text":"One document about mixing data for training."}\n' > m.jsonl
$W tokenize --quiet m.jsonl -o tok/m || fail "tokenize"
printf 'sequence_length: 4\nkeep_remainder: true\nsources:\n  - {name: m, path: tok/m, weight: 1}\n' > mix.yaml
$W mix mix.yaml -o mixed/ 2>err || fail "mix: $(cat err)"
grep -q "'mixed/manifest.json'" err || fail "mix: $(cat err)"

# dedup phases out of order name the phase or shard to run, and 'dd/' gives 'dd/state'
printf '{"id":"a","text":"one two three four five six"}\n' > d1.jsonl
printf '{"id":"b","text":"one two three four five six"}\n' > d2.jsonl
$W dedup minhash d1.jsonl d2.jsonl -o dd/ --phase remove 2>err; [ $? -eq 1 ] || fail "remove first: exit"
grep -q "no 'dd/state/remove.wrm': run --phase cluster first" err || fail "remove first: $(cat err)"
$W dedup minhash d1.jsonl d2.jsonl -o dd/ --phase sign --shard 0/2 --quiet || fail "sign"
$W dedup minhash d1.jsonl d2.jsonl -o dd/ --phase cluster 2>err; [ $? -eq 1 ] || fail "cluster: exit"
grep -q "part 1 of 2 is missing" err || fail "cluster without shard 1: $(cat err)"
$W dedup line d1.jsonl -o dl/ --phase apply 2>err; [ $? -eq 1 ] || fail "line apply: exit"
grep -q "run --phase count first" err || fail "line apply first: $(cat err)"

# status names 'out/' without a doubled slash
mkdir -p nostatus
$W status nostatus/ 2>err; [ $? -eq 1 ] || fail "status of no run: exit"
grep -q "expected 'nostatus/slurm/tasks.tsv'" err || fail "status message: $(cat err)"

# configs/c4.yaml runs to the end on the sample crawl (copied: outputs go beside it)
cp -r "$ROOT/configs" "$ROOT/data" "$TMP/" 2>/dev/null
$W run configs/c4.yaml --quiet 2>err || fail "run configs/c4.yaml: $(cat err)"
[ -s out/c4/mix/train-00000.bin ] || fail "c4: no training shard"
exit 0
