# Bad input for dedup: empty documents, documents shorter than one shingle, one id with
# two texts, a bad JSON line, a signature file from another configuration, and the
# incremental index.
set -u
W=$WINNOW
LONG="one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
cat > "$TMP/in.jsonl" <<JSON
{"id":"empty","text":""}
{"id":"blank","text":"  \n\t "}
{"id":"short","text":"just three words"}
{"id":"short2","text":"just three words"}
{"id":"same","text":"$LONG"}
{"id":"same","text":"$LONG fifteen sixteen seventeen eighteen nineteen twenty"}
{"id":"copy","text":"$LONG"}
not json at all
{"id":"other","text":"a completely different document about something else entirely here"}
JSON
# exact: identical texts collapse; no dates, so the smallest id ("copy" < "same") is kept
$W dedup exact --quiet "$TMP/in.jsonl" -o "$TMP/ex" --clusters "$TMP/ex.tsv" || exit 1
grep -q '"removed": 2' "$TMP/ex/state/cluster.json" || { cat "$TMP/ex/state/cluster.json"; echo "exact: want 2 removed (short2, same)"; exit 1; }
zstdcat "$TMP"/ex/dedup-00000-*.jsonl.zst > "$TMP/ex.out"
grep -q '"id":"copy"' "$TMP/ex.out" || { echo "exact: smallest id of identical texts kept"; exit 1; }
grep -q '"id":"empty"' "$TMP/ex.out" && grep -q '"id":"blank"' "$TMP/ex.out" || { echo "empty documents are kept (never clustered)"; exit 1; }
[ "$(grep -c '"id":"same"' "$TMP/ex.out")" -eq 1 ] || { echo "same id, different text: the longer one stays"; exit 1; }
grep -q 'jsonl.bad_record\|bad_record' "$TMP"/ex/dedup-00000.stats.json || { echo "bad line not counted"; exit 1; }

# minhash: empty and short documents have no signature and stay; the near copies cluster
$W dedup minhash --quiet "$TMP/in.jsonl" -o "$TMP/mh" --clusters "$TMP/mh.tsv" || exit 1
zstdcat "$TMP"/mh/dedup-00000-*.jsonl.zst > "$TMP/mh.out"
for id in empty blank short short2 other; do
    grep -q "\"id\":\"$id\"" "$TMP/mh.out" || { echo "minhash: $id must stay"; exit 1; }
done
grep -q "^copy	" "$TMP/mh.tsv" && grep -q "^same	" "$TMP/mh.tsv" || { echo "minhash: copies not clustered"; exit 1; }

# a signature file from another configuration is refused, never mixed
$W dedup minhash --quiet --phase bands --bands 20 --rows 13 "$TMP/in.jsonl" -o "$TMP/mh" 2> "$TMP/err"
[ $? -eq 1 ] || { echo "mixing configs must fail"; exit 1; }
grep -q "refusing to mix" "$TMP/err" && grep -q "bands=20 rows=13" "$TMP/err" || { cat "$TMP/err"; exit 1; }

# incremental: save the index of a first corpus, deduplicate a second against it
printf '{"id":"old1","text":"%s"}\n{"id":"old2","text":"the first corpus has this document of many many words in it"}\n' "$LONG" > "$TMP/old.jsonl"
printf '{"id":"new1","text":"%s"}\n{"id":"new2","text":"a new document that the first corpus never had in any of its files"}\n' "$LONG" > "$TMP/new.jsonl"
$W dedup minhash --quiet "$TMP/old.jsonl" -o "$TMP/o1" --index-out "$TMP/idx" || exit 1
[ -f "$TMP/idx/index.json" ] || { echo "no index"; exit 1; }
$W dedup minhash --quiet "$TMP/new.jsonl" -o "$TMP/o2" --index "$TMP/idx" --index-out "$TMP/idx2" || exit 1
zstdcat "$TMP"/o2/dedup-00000-*.jsonl.zst > "$TMP/o2.out"
grep -q '"id":"new1"' "$TMP/o2.out" && { echo "new1 duplicates the index: removed"; exit 1; }
grep -q '"id":"new2"' "$TMP/o2.out" || { echo "new2 is new: kept"; exit 1; }
grep -q '"generation": 2' "$TMP/idx2/index.json" || { echo "second generation"; exit 1; }
$W dedup minhash --quiet --bands 20 --rows 13 "$TMP/new.jsonl" -o "$TMP/o3" --index "$TMP/idx" 2> "$TMP/err"
[ $? -eq 1 ] && grep -q "refusing to mix" "$TMP/err" || { cat "$TMP/err"; echo "index of another config must be refused"; exit 1; }
exit 0
