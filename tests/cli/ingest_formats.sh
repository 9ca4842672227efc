# The same crawl as .warc.gz, .warc (plain) and .warc.zst gives the same documents; HTML and
# text files are one document each; a 50 MB page is skipped and counted, not lost silently.
set -u
W=$WINNOW
src="$WINNOW_SHARED/data/warc/wget/python311-docs-wget.warc.gz"
[ -f "$src" ] || { echo "shared data not found"; exit 77; }
mkdir -p "$TMP/gz" "$TMP/plain" "$TMP/zst"
cp "$src" "$TMP/gz/crawl.warc.gz"
zcat "$src" > "$TMP/plain/crawl.warc"
zcat "$src" | zstd -q -o "$TMP/zst/crawl.warc.zst"
for k in gz plain zst; do
    $W ingest --quiet --compression none "$TMP/$k" -o "$TMP/out-$k" || exit 1
done
texts() { python3 -c '
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    print(json.dumps([d["id"], d["text"], d["created"], d["metadata"]["url"]]))' "$1"; }
texts "$TMP/out-gz/ingest-00000-0000.jsonl" > "$TMP/a"
texts "$TMP/out-plain/ingest-00000-0000.jsonl" > "$TMP/b"
texts "$TMP/out-zst/ingest-00000-0000.jsonl" > "$TMP/c"
[ "$(wc -l < "$TMP/a")" -ge 40 ] || { echo "too few documents"; exit 1; }
cmp -s "$TMP/a" "$TMP/b" || { echo "plain .warc differs from .warc.gz"; exit 1; }
cmp -s "$TMP/a" "$TMP/c" || { echo ".warc.zst differs from .warc.gz"; exit 1; }

# one HTML file, one text file, one 50 MB page (a real page padded with a real text block)
mkdir -p "$TMP/files"
printf '<!doctype html><html><head><title>T</title></head><body><article><p>%s</p></article></body></html>' \
  "A paragraph of real prose about data pipelines, long enough to be kept as the main text of the page." > "$TMP/files/page.html"
printf 'plain text document\nsecond line\n' > "$TMP/files/note.txt"
{ printf '<html><body><p>'; i=0; while [ $i -lt 50 ]; do head -c 1048576 "$TMP/plain/crawl.warc" | tr -d '<>'; i=$((i+1)); done; printf '</p></body></html>'; } > "$TMP/files/huge.html"
$W ingest --quiet "$TMP/files" -o "$TMP/out-files" || exit 1
python3 - "$TMP/out-files/ingest-00000.stats.json" <<'PY' || exit 1
import json, sys
s = json.load(open(sys.argv[1]))
src, ext = s["source"], s["stages"][0]
assert src["docs_in"] == 3, src
assert src["drops"]["skip.too_large"]["docs"] == 1, src["drops"]
assert ext["docs_out"] == 2, ext
PY
exit 0
