# Llama 3 line dedup split into phases (`split_phases: true`): line hashes per shard, one
# count, the removal per shard - the same documents and bytes as the one-task run; and a
# dedup method without phases (semantic) is refused at the config check.
set -u
W=$WINNOW
REPO=$(pwd)
for split in false true; do
    mkdir -p "$TMP/$split"
    cat > "$TMP/$split/run.yaml" <<YAML
workdir: out
shards: 2
sources:
  - name: web
    inputs: [$REPO/data/sample/crawl]
    ingest: {}
    dedup: {method: line, max-repeats: 1, split_phases: $split}
YAML
    (cd "$TMP/$split" && $W run --quiet run.yaml) || { echo "run (split_phases: $split) failed"; exit 1; }
done
plan=$($W run --dry-run "$TMP/true/run.yaml")
echo "$plan" | grep -q "web.dedup.hash: 2 tasks" || { echo "$plan"; exit 1; }
echo "$plan" | grep -q "web.dedup.count: 1 task" || { echo "$plan"; exit 1; }
echo "$plan" | grep -q "winnow dedup line --max-repeats 1 --phase apply" || { echo "$plan"; exit 1; }
for split in false true; do
    zstd -dc $(ls "$TMP/$split"/out/web/dedup/*.jsonl.zst | sort) > "$TMP/$split.jsonl"
done
[ -s "$TMP/true.jsonl" ] || { echo "no documents"; exit 1; }
cmp -s "$TMP/false.jsonl" "$TMP/true.jsonl" || { echo "split and one-task outputs differ"; exit 1; }

cat > "$TMP/sem.yaml" <<YAML
workdir: out
sources:
  - name: web
    inputs: [$REPO/data/sample/crawl]
    dedup: {method: semantic, split_phases: true}
YAML
err=$($W run --dry-run "$TMP/sem.yaml" 2>&1); rc=$?
[ $rc -eq 2 ] || { echo "semantic split: exit $rc"; exit 1; }
echo "$err" | grep -q "method 'semantic' runs as one task" || { echo "$err"; exit 1; }
exit 0
