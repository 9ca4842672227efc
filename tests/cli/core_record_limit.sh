# --max-record-size: a JSONL line over the limit is skipped without being read into memory,
# counted as jsonl.record_too_large with its file, line and offset, and the counts still
# reconcile; the lines after it are read as usual (plain, gzip and zstd input; a last line
# without a newline). `encode --jsonl` answers such a line with {"error": ...}. A WARC of
# junk without a newline is refused as a too-long header, as before.
set -u
W=$WINNOW
python3 - "$TMP/in.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"id": "a", "text": "The first document is short."}) + "\n")
    f.write(json.dumps({"id": "big", "text": "word " * 600000}) + "\n")      # 3 MB
    f.write(json.dumps({"id": "c", "text": "The third one is short as well."}) + "\n")
    f.write(json.dumps({"id": "mid", "text": "word " * 300000}))             # 1.5 MB, no newline
PY
gzip -c "$TMP/in.jsonl" > "$TMP/in.jsonl.gz"
zstd -q -c "$TMP/in.jsonl" > "$TMP/in.jsonl.zst"
big_at=$(head -n 1 "$TMP/in.jsonl" | wc -c)

for ext in "" .gz .zst; do
    rm -rf "$TMP/f"
    $W filter --quiet --max-record-size 1M "$TMP/in.jsonl$ext" -o "$TMP/f" || { echo "filter $ext"; exit 1; }
    python3 - "$TMP/f/filter-00000.stats.json" "$big_at" <<'PY' || { echo "stats ($ext)"; exit 1; }
import json, sys
src = json.load(open(sys.argv[1]))["source"]
e = src["errors"]["jsonl.record_too_large"]
assert e["count"] == 2, e
assert e["sample"]["offset"] == int(sys.argv[2]), e
assert e["sample"]["detail"].startswith("line 2: a record of 3000"), e
assert src["docs_in"] == 4 and src["docs_out"] == 2, src
assert src["docs_in"] == src["docs_out"] + sum(x["count"] for x in src["errors"].values())
PY
done

# The default limit (256M) takes all four.
$W filter --quiet "$TMP/in.jsonl.zst" -o "$TMP/d" || exit 1
python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["source"]; assert s["docs_in"] == 4 and s["errors"] == {}, s' \
    "$TMP/d/filter-00000.stats.json" || { echo "default limit"; exit 1; }

# tokenize: two sequences, the same as from the two short documents alone.
$W tokenize --quiet --max-record-size 1M "$TMP/in.jsonl.zst" -o "$TMP/t/x" || exit 1
grep -e '"id": "a"' -e '"id": "c"' "$TMP/in.jsonl" > "$TMP/short.jsonl"
$W tokenize --quiet "$TMP/short.jsonl" -o "$TMP/s/x" || exit 1
cmp "$TMP/t/x.bin" "$TMP/s/x.bin" && cmp "$TMP/t/x.idx" "$TMP/s/x.idx" ||
    { echo "tokenize kept other documents than the short ones"; exit 1; }
grep -q '"jsonl.record_too_large"' "$TMP/t/x.stats.json" || { echo "tokenize stats"; exit 1; }

# encode --jsonl: one output line per input line; the long ones are errors, and the exit
# status says some lines failed.
$W encode --jsonl --max-record-size 1M "$TMP/in.jsonl.gz" > "$TMP/enc" 2> "$TMP/enc.err"
[ $? -eq 1 ] || { echo "encode exit status"; exit 1; }
[ "$(wc -l < "$TMP/enc")" -eq 4 ] || { echo "encode lines"; exit 1; }
sed -n 2p "$TMP/enc" | grep -q '^{"error":"a line of 3000[0-9]* bytes, over --max-record-size (1048576 bytes)"}$' ||
    { echo "encode error line"; cat "$TMP/enc" | cut -c1-200; exit 1; }
sed -n 3p "$TMP/enc" | grep -q '^{"ids":\[' || { echo "encode line after the long one"; exit 1; }
grep -q "line 4: a line of 1500" "$TMP/enc.err" || { echo "encode warning"; exit 1; }

$W filter --max-record-size 12x "$TMP/in.jsonl" -o "$TMP/bad" 2> "$TMP/bad.err"
[ $? -eq 2 ] && grep -q "bad --max-record-size '12x'" "$TMP/bad.err" || { echo "bad value"; exit 1; }

# WARC: a version line, then 3 MB of junk without a newline.
{ printf 'WARC/1.0\r\n'; head -c 3000000 /dev/zero | tr '\0' 'j'; } > "$TMP/junk.warc"
$W ingest --quiet --format warc "$TMP/junk.warc" -o "$TMP/w" || { echo "ingest junk"; exit 1; }
grep -q '"warc.bad_header"' "$TMP"/w/*.stats.json || { echo "warc junk not counted"; exit 1; }
exit 0
