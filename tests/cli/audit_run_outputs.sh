# A sharded run where one shard's only input is junk completes (the junk is a counted bad
# record, not a failed task); an output path that is an existing file is refused at once
# with the reason, before any input is read; a command's output directory given as the next
# command's input is read as its JSONL parts, not with dedup's state/ and clusters file; a
# dedup --index that is no index is refused (it was silently taken as an empty one); decode
# names a binary byte by its value instead of printing it.
set -u
W=$WINNOW
mkdir -p "$TMP/in"
# fixed bytes, not /dev/urandom: one file in 256 began with '{' and was read as JSONL
python3 -c 'import random, sys; r = random.Random(7); sys.stdout.buffer.write(bytes([1]) + bytes(r.randrange(256) for _ in range(3999)))' > "$TMP/in/a-junk.bin"
python3 -c "print('A plain text document about the weather in the hills, long enough to keep. ' * 20)" > "$TMP/in/b-page.txt"
cat > "$TMP/run.yaml" <<EOF
workdir: ./out
parallel: 1
threads: 1
shards: 2
sources:
  - name: web
    inputs: [in]
    ingest: {}
EOF
$W run "$TMP/run.yaml" --quiet > "$TMP/log" 2>&1 || { cat "$TMP/log"; echo "a shard of junk failed the run"; exit 1; }
python3 - "$TMP"/out/web/ingest/ingest-0000*.stats.json <<'PY' || exit 1
import json, sys
docs_in = docs_out = errors = drops = 0
for f in sys.argv[1:]:
    s = json.load(open(f))["source"]
    docs_in += s["docs_in"]; docs_out += s["docs_out"]
    errors += sum(e["count"] for e in s["errors"].values())
    drops += sum(d["docs"] for d in s["drops"].values())
assert len(sys.argv) == 3, sys.argv
assert (docs_in, docs_out, errors) == (2, 1, 1), (docs_in, docs_out, errors, drops)
PY

touch "$TMP/afile"
$W ingest -j1 "$TMP/in/b-page.txt" -o "$TMP/afile" > "$TMP/log" 2>&1 && { echo "-o a file must fail"; exit 1; }
grep -q "cannot create output directory '.*afile': Not a directory" "$TMP/log" || { cat "$TMP/log"; exit 1; }
grep -q "read .*in 1 docs" "$TMP/log" && { cat "$TMP/log"; echo "inputs read before the output was checked"; exit 1; }

python3 -c "
import json
for i in range(30):
    print(json.dumps({'id': 'd%d' % i, 'text': 'document number %d says something of its own here' % (i % 20)}))
" > "$TMP/docs.jsonl"
$W dedup exact -j1 --quiet "$TMP/docs.jsonl" -o "$TMP/dd" --clusters "$TMP/dd/clusters.tsv" || exit 1
[ -d "$TMP/dd/state" ] || { echo "expected dedup state in its output directory"; exit 1; }
$W filter -j1 --quiet --annotate-only "$TMP/dd" -o "$TMP/next" || exit 1
python3 - "$TMP/next/filter-00000.stats.json" <<'PY' || exit 1
import json, sys
s = json.load(open(sys.argv[1]))["source"]
assert s["errors"] == {} and s["docs_in"] == 20, s
PY

$W dedup minhash -j1 --quiet "$TMP/docs.jsonl" -o "$TMP/dx" --index "$TMP/no-such-index" 2> "$TMP/err"
[ $? -eq 2 ] || { cat "$TMP/err"; echo "a missing --index must be refused"; exit 1; }
grep -q "no-such-index' is not a dedup index" "$TMP/err" || { cat "$TMP/err"; exit 1; }

printf '\001\002\033[31m 5' | $W decode > /dev/null 2> "$TMP/err" && { echo "decode of junk must fail"; exit 1; }
grep -q "offset 0: byte 0x01 is not part of a token id" "$TMP/err" || { cat -v "$TMP/err"; exit 1; }
exit 0
