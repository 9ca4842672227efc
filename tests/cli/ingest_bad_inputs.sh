# Binary junk, a truncated .warc.gz, a JSONL file with a broken line: clear errors with file
# and offset, exit 0 (bad records are counted), and counts that reconcile.
set -u
W=$WINNOW
# fixed bytes, not /dev/urandom: one file in 256 began with '{' and was read as JSONL
python3 -c 'import random, sys; r = random.Random(7); sys.stdout.buffer.write(bytes([1]) + bytes(r.randrange(256) for _ in range(19999)))' > "$TMP/junk.bin"
printf '{"text":"good one"}\n{"text": broken\n{"text":"good two"}\n' > "$TMP/mixed.jsonl"
if [ -f "$WINNOW_SHARED/data/warc/dolma/sample-0000.warc.gz" ]; then
  head -c 150000 "$WINNOW_SHARED/data/warc/dolma/sample-0000.warc.gz" > "$TMP/cut.warc.gz"
fi
$W ingest "$TMP"/junk.bin "$TMP"/mixed.jsonl "$TMP"/cut.warc.gz -o "$TMP/out" 2> "$TMP/err" || { cat "$TMP/err"; exit 1; }
grep -q "ingest.unknown_format" "$TMP/err" || { echo "junk not reported"; cat "$TMP/err"; exit 1; }
grep -q "jsonl.bad_record.*mixed.jsonl.*line 2" "$TMP/err" || { echo "bad json line not reported"; cat "$TMP/err"; exit 1; }
if [ -f "$TMP/cut.warc.gz" ]; then
  grep -q "truncated" "$TMP/err" || { echo "truncation not reported"; cat "$TMP/err"; exit 1; }
fi
python3 - "$TMP"/out/ingest-00000.stats.json <<'PY' || exit 1
import json, sys
s = json.load(open(sys.argv[1]))["source"]
errors = sum(e["count"] for e in s["errors"].values())
drops = sum(d["docs"] for d in s["drops"].values())
assert s["docs_in"] == s["docs_out"] + drops + errors, s
PY
exit 0
