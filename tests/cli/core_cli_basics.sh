# winnow --help/--version, exit codes for bad usage, --shard slicing and the completion record.
set -u
W=$WINNOW
$W --version | grep -q '^winnow ' || exit 1
$W --help | grep -q 'exit codes' || exit 1
$W nosuch 2>/dev/null; [ $? -eq 2 ] || { echo "unknown command must exit 2"; exit 1; }
$W ingest --shard 5/2 x -o "$TMP/o" 2>/dev/null; [ $? -eq 2 ] || { echo "bad --shard must exit 2"; exit 1; }
$W ingest 2>/dev/null; [ $? -eq 2 ] || { echo "missing inputs must exit 2"; exit 1; }
$W ingest --quiet "$TMP/does-not-exist" -o "$TMP/o" 2>/dev/null; [ $? -eq 2 ] || { echo "missing input must exit 2"; exit 1; }

# Three JSONL files, two shards: disjoint outputs named by shard, .done records, stats.
for i in 1 2 3; do printf '{"id":"d%s","text":"document %s"}\n' $i $i > "$TMP/in$i.jsonl"; done
$W ingest --quiet --shard 0/2 "$TMP"/in*.jsonl -o "$TMP/out" || exit 1
$W ingest --quiet --shard 1/2 "$TMP"/in*.jsonl -o "$TMP/out" || exit 1
[ -f "$TMP/out/ingest-00000.done" ] && [ -f "$TMP/out/ingest-00001.done" ] || { echo "no .done"; exit 1; }
n=$(zstdcat "$TMP"/out/ingest-0000*-*.jsonl.zst | wc -l)
[ "$n" -eq 3 ] || { echo "expected 3 docs over both shards, got $n"; exit 1; }
# a completed shard is skipped unless --force
$W ingest --shard 0/2 "$TMP"/in*.jsonl -o "$TMP/out" 2>&1 | grep -q 'already complete' || { echo "no skip"; exit 1; }
$W stats "$TMP/out" | grep -q 'ingest.read' || { echo "stats table"; exit 1; }
$W stats --json "$TMP/out" | grep -q '"docs_in": 3' || { echo "stats json merge"; exit 1; }
exit 0
