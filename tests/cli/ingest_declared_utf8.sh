# Real windows-1252 pages (Common Crawl records of live-radsport.ch, labelled iso-8859-1 by
# their <meta>) declared UTF-8 instead, by their HTTP header or by their <meta>: decoded in the charset their bytes are in (the text of
# the correctly labelled page, not U+FFFD for every umlaut), with a UTF-8 letter in such a
# page kept as UTF-8 (no mojibake), and each such page counted (warn.declared_utf8_not_utf8,
# in stats.json and in the summary); counts reconcile.
set -u
W=$WINNOW
src="$WINNOW_SHARED/data/warc/resiliparse/warcfile.warc.gz"
[ -f "$src" ] || { echo "shared data not found"; exit 77; }
python3 - "$src" "$TMP" <<'PY' || exit 1
import gzip, re, sys
src, tmp = sys.argv[1], sys.argv[2]
data = gzip.open(src).read()
def record(url):
    i = data.index(b"WARC-Type: response", data.index(b"WARC-Target-URI: " + url) - 2000)
    s = data.rindex(b"WARC/1.", 0, i)
    h = data.index(b"\r\n\r\n", s)
    n = int(re.search(rb"Content-Length: (\d+)", data[s:h]).group(1))
    return data[s:h], data[h + 4:h + 4 + n]
def rec(header, block, rid):
    header = re.sub(rb"Content-Length: \d+", b"Content-Length: %d" % len(block), header)
    header = re.sub(rb"WARC-Record-ID: <[^>]*>", b"WARC-Record-ID: <urn:uuid:%s>" % rid, header)
    return header + b"\r\n\r\n" + block + b"\r\n\r\n"
out = {"orig": b"", "http": b"", "meta": b"", "mixed": b""}
for k, url in enumerate([b"http://06.live-radsport.ch/tippspiel/stats_140_petzi.html",
                         b"http://06.live-radsport.ch/fahrerstatistik_801/Anthony_Ravar"]):
    header, block = record(url)
    hh, body = block.split(b"\r\n\r\n", 1)
    assert b"\xfc" in body or b"\xe4" in body or b"\xf6" in body, "not a windows-1252 page"
    assert b"charset=iso-8859-1" in body[:4000], "the page's own <meta> label"
    hh = re.sub(rb"(?im)^(content-type: *text/html)[^\r]*", rb"\1", hh)
    out["orig"] += rec(header, hh + b"\r\n\r\n" + body, b"orig%d" % k)
    out["http"] += rec(header, re.sub(rb"(?im)^(content-type: *text/html)", rb"\1; charset=UTF-8", hh) + b"\r\n\r\n" + body, b"orig%d" % k)
    meta = body.replace(b"charset=iso-8859-1", b"charset=utf-8", 1)
    out["meta"] += rec(header, hh + b"\r\n\r\n" + meta, b"orig%d" % k)
    # a UTF-8 "Ü" among windows-1252 bytes (the "\xdf" of "Groß"), in the page's main text
    mixed = meta.replace(b"Platz der Gesamtwertung", b"Platz der Gesamtwertung (Gro\xdf-" + "Ü".encode() + b"bersicht)", 1)
    out["mixed"] += rec(header, hh + b"\r\n\r\n" + mixed, b"orig%d" % k)
for name, b in out.items():
    open(f"{tmp}/{name}.warc", "wb").write(b)
PY
for f in orig http meta mixed; do
    $W ingest -j1 --compression none "$TMP/$f.warc" -o "$TMP/o-$f" > "$TMP/$f.out" 2>&1 || { cat "$TMP/$f.out"; exit 1; }
    python3 "$(dirname "$0")/../lib/stats_reconcile.py" "$TMP/o-$f" > /dev/null || { echo "$f: counts do not reconcile"; exit 1; }
done
python3 - "$TMP" <<'PY' || exit 1
import json, sys
tmp = sys.argv[1]
def docs(name):
    return [json.loads(l) for l in open(f"{tmp}/o-{name}/ingest-00000-0000.jsonl")]
def warned(name):
    s = json.load(open(f"{tmp}/o-{name}/ingest-00000.stats.json"))
    return sum(st["sums"].get("warn.declared_utf8_not_utf8", 0) for st in s["stages"])
orig = docs("orig")
assert len(orig) == 2 and "Persönliche Statistik" in orig[0]["text"], "reference text"
assert warned("orig") == 0
for name in ("http", "meta"):
    got = docs(name)
    assert [d["text"] for d in got] == [d["text"] for d in orig], name + ": not the text of the correctly labelled page"
    assert all("\ufffd" not in d["text"] for d in got), name
    assert warned(name) == 2, (name, warned(name))
mixed = docs("mixed")
assert "Platz der Gesamtwertung (Groß-Übersicht)" in mixed[0]["text"], ("the page's UTF-8 became mojibake", mixed[0]["text"][:200])
mixed[0]["text"] = mixed[0]["text"].replace(" (Groß-Übersicht)", "", 1)
assert [d["text"] for d in mixed] == [d["text"] for d in orig], "mixed: the windows-1252 text"
assert warned("mixed") == 2
PY
grep -q "warning declared_utf8_not_utf8 .* 2 docs" "$TMP/http.out" || { cat "$TMP/http.out"; echo "not in the summary"; exit 1; }
exit 0
