# winnow tokenize: Megatron .bin holds exactly BOS + encode(text) per document, .idx has the
# size Megatron's layout implies, output bytes are the same at -j 1 and -j 2, the llm.c
# and datatrove writers agree on the tokens, --shard names, .done skip, per-source counts.
set -u
W=$WINNOW
Q=$WINNOW_SHARED/data/quality/quality.jsonl.gz
[ -r "$Q" ] || { echo "no $Q"; exit 77; }
gzip -dc "$Q" | head -n 200 > "$TMP/docs.jsonl"
printf '{"id":"e","text":"","source":"empty"}\n{"id":"s","text":"Hello world","source":"web"}\n' >> "$TMP/docs.jsonl"

$W tokenize --quiet -j 1 "$TMP/docs.jsonl" -o "$TMP/j1/docs" || exit 1
$W tokenize --quiet -j 2 "$TMP/docs.jsonl" -o "$TMP/j2/docs" || exit 1
cmp "$TMP/j1/docs.bin" "$TMP/j2/docs.bin" && cmp "$TMP/j1/docs.idx" "$TMP/j2/docs.idx" ||
    { echo "output depends on the thread count"; exit 1; }
# Batches of 7 documents: at -j 2 one thread writes each batch while both encode the next
# (core/runner.c's fused pass, two sets of slots in tok_stage.c); the bytes stay the same.
$W tokenize --quiet -j 2 --batch-size 7 "$TMP/docs.jsonl" -o "$TMP/b7/docs" || exit 1
cmp "$TMP/j1/docs.bin" "$TMP/b7/docs.bin" && cmp "$TMP/j1/docs.idx" "$TMP/b7/docs.idx" ||
    { echo "output depends on the batch size"; exit 1; }
# Pages in 43 languages, shuffled: each batch's documents are handed out grouped by script
# (core/handout.h), in another order at each thread count; the output stays in input order.
L=$WINNOW_SHARED/data/langid/langid.jsonl.gz
if [ -r "$L" ]; then
    gzip -dc "$L" | head -n 1500 > "$TMP/ml.jsonl"
    for j in 1 2 3; do
        $W tokenize --quiet -j $j --batch-size 400 "$TMP/ml.jsonl" -o "$TMP/ml$j/x" || exit 1
        cmp "$TMP/ml1/x.bin" "$TMP/ml$j/x.bin" && cmp "$TMP/ml1/x.idx" "$TMP/ml$j/x.idx" ||
            { echo "multilingual output depends on the thread count ($j)"; exit 1; }
    done
    $W encode --jsonl --bos "$TMP/ml.jsonl" | sed 's/{"ids":\[//; s/\]}//' | tr ',' '\n' \
        > "$TMP/ml.want"
    od -An -v -tu4 -w4 "$TMP/ml2/x.bin" | tr -d ' ' | cmp - "$TMP/ml.want" ||
        { echo "multilingual .bin is not BOS + encode(text) in input order"; exit 1; }
fi

# The tokens are BOS + the ids of `winnow encode` for each non-empty document.
grep -v '"text":""' "$TMP/docs.jsonl" | $W encode --jsonl --bos | sed 's/{"ids":\[//; s/\]}//' |
    tr ',' '\n' > "$TMP/want"
od -An -v -tu4 -w4 "$TMP/j1/docs.bin" | tr -d ' ' > "$TMP/got"
cmp "$TMP/want" "$TMP/got" || { echo ".bin is not BOS + encode(text)"; exit 1; }
S=201 # documents written (the empty one is dropped)
size=$(wc -c < "$TMP/j1/docs.idx")
[ "$size" -eq $((34 + 12 * S + 8 * (S + 1))) ] || { echo ".idx size $size"; exit 1; }
grep -q '"tokenize.empty"' "$TMP/j1/docs.stats.json" || { echo "empty drop not counted"; exit 1; }
grep -q '"tokens.source.web": 3' "$TMP/j1/docs.stats.json" || { echo "per-source tokens"; exit 1; }
n=$(wc -l < "$TMP/got")
grep -q "\"tokens\": $n" "$TMP/j1/docs.stats.json" || { echo "token total"; exit 1; }

# llm.c: same tokens after the 1024-byte header, split into shards of 5000 tokens.
$W tokenize --quiet --format llmc --shard-tokens 5000 "$TMP/docs.jsonl" -o "$TMP/l/docs" || exit 1
for f in "$TMP"/l/docs_*.bin; do tail -c +1025 "$f"; done | od -An -v -tu4 -w4 | tr -d ' ' |
    cmp - "$TMP/got" || { echo "llm.c tokens differ"; exit 1; }
[ "$(od -An -tu4 -N12 "$TMP/l/docs_000000.bin" | tr -s ' ')" = " 20240801 7 5000" ] ||
    { echo "llm.c header"; exit 1; }
# datatrove: same tokens, one uint64 end per document.
$W tokenize --quiet --format datatrove "$TMP/docs.jsonl" -o "$TMP/d/docs" || exit 1
cmp "$TMP/d/docs.ds" "$TMP/j1/docs.bin" || { echo "datatrove tokens differ"; exit 1; }
[ "$(wc -c < "$TMP/d/docs.ds.index")" -eq $((8 * S)) ] || { echo ".ds.index size"; exit 1; }
[ "$(od -An -tu8 -j $((8 * (S - 1))) "$TMP/d/docs.ds.index" | tr -d ' ')" -eq "$n" ] ||
    { echo ".ds.index last end"; exit 1; }

# A completed shard is skipped; --shard I/N names the files by shard.
$W tokenize -j 1 "$TMP/docs.jsonl" -o "$TMP/j1/docs" 2>&1 | grep -q 'already complete' || { echo "no skip"; exit 1; }
cp "$TMP/docs.jsonl" "$TMP/more.jsonl"
$W tokenize --quiet --shard 1/2 "$TMP/docs.jsonl" "$TMP/more.jsonl" -o "$TMP/s/x" || exit 1
[ -f "$TMP/s/x-00001.bin" ] && [ -f "$TMP/s/x-00001.done" ] || { echo "shard names"; exit 1; }
# -o DIR/ writes DIR/tokenize-IIIII.* (the runner's names, for `winnow run` and `winnow stats`)
$W tokenize --quiet "$TMP/docs.jsonl" -o "$TMP/dir/" || exit 1
cmp "$TMP/dir/tokenize-00000.bin" "$TMP/j1/docs.bin" || { echo "directory output"; exit 1; }
$W stats "$TMP/dir" | grep -q 'tokenize' || { echo "winnow stats on tokenize output"; exit 1; }
$W tokenize --format parquet "$TMP/docs.jsonl" -o "$TMP/x" 2>/dev/null; [ $? -eq 2 ] || { echo "bad format must exit 2"; exit 1; }
exit 0
