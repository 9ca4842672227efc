# make run's job: the whole pipeline on the sample data from configs/sample.yaml, ending with
# the statistics table and the training shards; then configs/finetune.yaml. Skipped until
# every stage command is in the build.
set -u
W=$WINNOW
for c in ingest filter dedup classify tokenize; do
    $W "$c" --help >/dev/null 2>&1 || { echo "this build has no 'winnow $c' yet"; exit 77; }
done
cp -r configs data tests "$TMP/" 2>/dev/null
cd "$TMP" || exit 1
out=$($W run configs/sample.yaml 2>"$TMP/err") || { cat "$TMP/err"; exit 1; }
echo "$out" | grep -q 'tokenize.read' || { echo "no statistics table: $out"; exit 1; }
echo "$out" | grep -q 'training shards: out/sample/mix' || { echo "no shard path: $out"; exit 1; }
[ -s out/sample/mix/train-00000.bin ] && [ -s out/sample/mix/train-00000.idx ] || { echo "no shards"; exit 1; }
grep -q '"web"' out/sample/mix/manifest.json || { echo "manifest lacks the web source"; exit 1; }
out=$($W run configs/finetune.yaml 2>"$TMP/err") || { cat "$TMP/err"; exit 1; }
echo "$out" | grep -q "outputs of 'chat'" || { echo "$out"; exit 1; }
ls out/finetune/chat/tokenize/tokens-00000.idx >/dev/null || exit 1
