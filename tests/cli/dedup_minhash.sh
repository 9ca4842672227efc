# MinHash dedup on real near-duplicates: the same removal set and output bytes at any
# thread count and any --shard count (phases run as separate steps), counts reconcile,
# the --clusters file lists every clustered document.
set -u
W=$WINNOW
D=$WINNOW_SHARED/data/dedup
[ -f "$D/doc-history.jsonl.gz" ] || { echo "shared data not found: skipped"; exit 77; }
# three input files so that --shard has something to slice
zcat "$D/doc-history.jsonl.gz" | sed -n '1,25p' > "$TMP/a.jsonl"
zcat "$D/doc-history.jsonl.gz" | sed -n '26,50p' > "$TMP/b.jsonl"
zcat "$D/doc-history.jsonl.gz" | sed -n '51,$p' > "$TMP/c.jsonl"
IN="$TMP/a.jsonl $TMP/b.jsonl $TMP/c.jsonl"

$W dedup minhash --quiet -j 1 $IN -o "$TMP/j1" --clusters "$TMP/j1.tsv" || exit 1
$W dedup minhash --quiet -j 2 $IN -o "$TMP/j2" --clusters "$TMP/j2.tsv" || exit 1
cmp "$TMP/j1/state/remove.wrm" "$TMP/j2/state/remove.wrm" || { echo "removal differs -j1/-j2"; exit 1; }
cmp "$TMP/j1.tsv" "$TMP/j2.tsv" || { echo "clusters differ -j1/-j2"; exit 1; }
cmp "$TMP/j1/dedup-00000-0000.jsonl.zst" "$TMP/j2/dedup-00000-0000.jsonl.zst" || { echo "output differs"; exit 1; }

# the distributed way: 3 sign shards, 4 partitions merged by 2 tasks, one cluster step
S="$TMP/s3/state"
for i in 0 1 2; do $W dedup minhash --quiet --phase sign --shard $i/3 $IN -o "$TMP/s3" || exit 1; done
for i in 0 1 2; do $W dedup minhash --quiet --phase bands --parts 4 --memory 4K --shard $i/3 $IN -o "$TMP/s3" || exit 1; done
for i in 0 1; do $W dedup minhash --quiet --phase merge --parts 4 --shard $i/2 $IN -o "$TMP/s3" || exit 1; done
$W dedup minhash --quiet --phase cluster $IN -o "$TMP/s3" --clusters "$TMP/s3.tsv" || exit 1
[ "$(ls "$S"/bands-*.wbk | wc -l)" -gt 4 ] || { echo "--memory 4K should spill several runs"; exit 1; }
cmp "$TMP/j1/state/remove.wrm" "$S/remove.wrm" || { echo "removal differs with 3 shards"; exit 1; }
cmp "$TMP/j1.tsv" "$TMP/s3.tsv" || { echo "clusters differ with 3 shards"; exit 1; }

# state of two different runs never mixes: a 2-shard sign over the 3-shard state is refused
$W dedup minhash --quiet --phase sign --shard 0/2 $IN -o "$TMP/s3" || exit 1
$W dedup minhash --quiet --phase merge --parts 4 $IN -o "$TMP/s3" 2> "$TMP/err"
[ $? -eq 1 ] && grep -q "different runs" "$TMP/err" || { cat "$TMP/err"; echo "mixed shard counts"; exit 1; }

# counts: removed = clustered - clusters, and in = kept + removed
grep -q '"removed": [1-9]' "$TMP/j1/state/cluster.json" || { echo "nothing removed"; exit 1; }
in=$(cat $IN | wc -l)
kept=$(zstdcat "$TMP"/j1/dedup-00000-*.jsonl.zst | wc -l)
removed=$(sed -n 's/.*"removed": \([0-9]*\).*/\1/p' "$TMP/j1/state/cluster.json")
[ $((kept + removed)) -eq "$in" ] || { echo "in $in != kept $kept + removed $removed"; exit 1; }
clusters=$(cut -f2 "$TMP/j1.tsv" | sort -u | wc -l)
lines=$(wc -l < "$TMP/j1.tsv")
[ $((lines - clusters)) -eq "$removed" ] || { echo "tsv: $lines docs in $clusters clusters, $removed removed"; exit 1; }

# --verify: every clustered document has a true Jaccard >= 0.95 (the shared pairs file) with
# another member of its cluster
$W dedup minhash --quiet --verify 0.95 $IN -o "$TMP/v" --clusters "$TMP/v.tsv" || exit 1
grep -q '"verified_edges_dropped": [1-9]' "$TMP/v/state/cluster.json" || { echo "verify dropped nothing"; exit 1; }
awk -F'\t' 'FNR == NR { c[$1] = $2; next }
     FNR > 1 && $3 >= 0.95 && ($1 in c) && ($2 in c) && c[$1] == c[$2] { ok[$1] = 1; ok[$2] = 1 }
     END { for (d in c) if (!(d in ok)) { print "unsupported member " d; bad = 1 } exit bad }' \
    "$TMP/v.tsv" "$D/doc-history-pairs.tsv" || exit 1
exit 0
