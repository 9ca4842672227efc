# Second audit: option values, configs and changed inputs that used to be taken silently.
# dedup: --parts 0, --k 0, --dim 0, --bucket-docs 0 exited 2 without a word; a --seed over
#   2^64 wrapped. mix: a weighted source with no tokens (an empty tokenize output) made the
#   largest mix 0 tokens, exit 0, with a manifest. classify: -lr nan trained a model of NaNs,
#   --threshold nan meant "no threshold", --threshold 2 removed everything.
set -u
W=$WINNOW
REPO=$(pwd)
cd "$TMP" || exit 1
printf '{"id":"a","text":"one two three four five six seven"}\n' > in.jsonl
for o in "minhash --parts" "line --bucket-docs" "semantic --k" "semantic --dim"; do
    set -- $o
    $W dedup "$1" in.jsonl -o d --quiet "$2" 0 2> err; rc=$?
    [ $rc -eq 2 ] && grep -q "bad $2 '0': expected a number from 1" err || { echo "$o 0: exit $rc: $(cat err)"; exit 1; }
done
$W dedup minhash in.jsonl -o d --quiet --seed 99999999999999999999999 2> err; rc=$?
[ $rc -eq 2 ] && grep -q "bad --seed" err || { echo "seed overflow: exit $rc"; exit 1; }
# an input cut or grown between the sign and remove phases: the removal list (uids = file,
# line) named other documents, exit 0 with a .done
python3 -c "
import json
for i in range(40): print(json.dumps({'id': str(i), 'text': 'the same words again and again ' * 3 + str(i % 4)}))" > dup.jsonl
for ph in sign bands merge cluster; do $W dedup minhash dup.jsonl in.jsonl -o dr --phase $ph --quiet || exit 1; done
head -5 dup.jsonl > cut.jsonl; cp dup.jsonl full.jsonl; cp cut.jsonl dup.jsonl
$W dedup minhash dup.jsonl in.jsonl -o dr --phase remove --quiet 2> err; rc=$?
[ $rc -eq 1 ] && grep -q "'dup.jsonl' changed since the first phase read it (its size" err || { echo "changed input: exit $rc: $(cat err)"; exit 1; }
[ ! -e dr/dedup-00000.done ] || { echo "changed input: .done written"; exit 1; }
cp full.jsonl dup.jsonl
$W dedup minhash dup.jsonl in.jsonl -o dr --phase remove --quiet || { echo "unchanged input refused"; exit 1; }
[ "$(jq '.stages[0].drops["dedup.minhash"].docs' dr/dedup-00000.stats.json)" -gt 0 ] || { echo "nothing removed"; exit 1; }

# dedup eval: pairs of another corpus (or binary junk) printed tables of zeros, exit 0; a
# Jaccard of nan was an out-of-range bin index; a cut .gz of pairs was read as complete
$W dedup minhash in.jsonl -o dm --quiet || exit 1
printf 'id_a\tid_b\tj\nx\ty\t0.9\nu\tv\tnan\n' > other.tsv
$W dedup eval dm/state other.tsv > /dev/null 2> err; rc=$?
[ $rc -eq 1 ] && grep -q "other.tsv' line 3: expected id<TAB>id<TAB>Jaccard" err && grep -q "no line of 'other.tsv' names two documents" err \
    || { echo "eval of other pairs: exit $rc: $(cat err)"; exit 1; }
printf 'id_a\tid_b\tj\n' > header.tsv
$W dedup eval dm/state header.tsv > /dev/null || { echo "eval of no pairs failed"; exit 1; }

: > empty.jsonl
$W tokenize empty.jsonl -o tok/empty --quiet || exit 1
cat > m.yaml <<YAML
sequence_length: 256
sources:
  - {name: web, path: $REPO/tests/data/mix/web, weight: 0.5}
  - {name: nothing, path: $TMP/tok, weight: 0.5}
YAML
$W mix plan m.yaml > /dev/null 2> err; rc=$?
[ $rc -eq 2 ] && grep -q "m.yaml':4:.*source 'nothing' has no tokens but weight 0.5" err \
    || { echo "zero-token source: exit $rc: $(cat err)"; exit 1; }
$W mix m.yaml -o mix --quiet 2> /dev/null; [ $? -eq 2 ] && [ ! -e mix/mix.done ] || { echo "empty mix written"; exit 1; }
cat > m0.yaml <<YAML
sequence_length: 256
sources:
  - {name: web, path: $REPO/tests/data/mix/web, weight: 1}
  - {name: nothing, path: $TMP/tok, weight: 0}
YAML
$W mix plan m0.yaml > /dev/null || { echo "weight 0 for the empty source refused"; exit 1; }

printf '__label__a one two\n__label__b three four\n' > train.txt
$W classify supervised -input train.txt -output m -lr nan -verbose 0 2> err; rc=$?
[ $rc -eq 2 ] && grep -q "bad value 'nan' for -lr" err || { echo "-lr nan: exit $rc: $(cat err)"; exit 1; }
$W classify supervised -input train.txt -output m -verbose 0 || exit 1
$W classify predict m.bin train.txt 1 nan > /dev/null 2>&1; [ $? -eq 2 ] || { echo "threshold nan"; exit 1; }
for t in nan 2 -0.5; do
    $W classify score --model m.bin --name q in.jsonl -o s --threshold "$t" --quiet 2> err; rc=$?
    [ $rc -eq 2 ] && grep -q "expected a probability" err || { echo "--threshold $t: exit $rc"; exit 1; }
done
$W classify score --model m.bin --name q in.jsonl -o s --threshold 0.5 --quiet || exit 1
# an annotate config with a key given twice: the last one silently won
sed 's/^max_tokens:.*/max_tokens: 256\nmax_tokens: 5/' "$REPO/configs/annotate/fineweb-edu.yaml" > dup.yaml
cp "$REPO/configs/annotate/fineweb-edu.txt" .
$W annotate --config dup.yaml --url http://127.0.0.1:1/v1 --model m -o ann in.jsonl 2> err; rc=$?
[ $rc -eq 2 ] && grep -q "dup.yaml': line [0-9]*: duplicate key 'max_tokens'" err || { echo "annotate dup key: exit $rc: $(cat err)"; exit 1; }
exit 0
