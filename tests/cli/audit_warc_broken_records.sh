# WARC records with a wrong, negative, overflowing or missing Content-Length, a header that
# never ends, and a chunked HTTP body cut short, each between two good records (plain and
# one gzip member per record): one error per broken record at its offset, the records after
# it kept (a too-long block gives back the record it swallowed), counts that reconcile.
# ARC records with a bad Archive-length (an overflowing one overran a buffer, "-5" hung the
# reader, "abc" made every payload line an error). Random damage to a .warc.gz reconciles.
set -u
W=$WINNOW
python3 - "$TMP" <<'PY' || exit 1
import gzip, os, re, sys
tmp = sys.argv[1]
html = b"<html><body><p>" + b"A paragraph of real enough text for the extractor to keep. " * 5 + b"</p></body></html>"
def rec(rid, block, typ=b"resource", ct=b"text/html", cl=None):
    cl = str(len(block)).encode() if cl is None else cl
    h = b"WARC/1.0\r\nWARC-Type: " + typ + b"\r\nWARC-Record-ID: <urn:uuid:r%d>\r\n" % rid
    h += b"Content-Type: " + ct + b"\r\n"
    if cl != b"-":
        h += b"Content-Length: " + cl + b"\r\n"
    return h + b"\r\n" + block + b"\r\n\r\n"
http = lambda body: b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n" + body
chunked = b"".join(b"%x\r\n" % len(html[i:i + 40]) + html[i:i + 40] + b"\r\n" for i in range(0, len(html), 40))
cases = {
    "long": rec(2, html, cl=str(len(html) + 12).encode()),
    "short": rec(2, html, cl=str(len(html) - 9).encode()),
    "negative": rec(2, html, cl=b"-5"),
    "overflow": rec(2, html, cl=b"99999999999999999999999"),
    "missing": rec(2, html, cl=b"-"),
    "endless": b"WARC/1.0\r\nWARC-Type: response\r\n" + (b"X: " + b"y" * 97 + b"\r\n") * 12000,
}
for name, bad in cases.items():
    data = rec(1, html) + bad + rec(3, html)
    open(f"{tmp}/{name}.warc", "wb").write(data)
    starts = [m.start() for m in re.finditer(rb"(?m)^WARC/1\.0\r$", data)] + [len(data)]
    open(f"{tmp}/{name}.warc.gz", "wb").write(b"".join(gzip.compress(data[a:b]) for a, b in zip(starts, starts[1:])))
cut = http(chunked[:len(chunked) // 2 + 3])
open(f"{tmp}/chunkcut.warc", "wb").write(rec(1, html) + rec(2, cut, typ=b"response", ct=b"application/http; msgtype=response") + rec(3, html))
PY
check() { # file, errors wanted, ids wanted
    rm -rf "$TMP/o"
    $W ingest -j1 "$TMP/$1" -o "$TMP/o" 2> "$TMP/err" || { cat "$TMP/err"; exit 1; }
    python3 - "$TMP/o/ingest-00000.stats.json" "$2" "$3" "$1" <<'PY' || { cat "$TMP/err"; exit 1; }
import json, sys
j = json.load(open(sys.argv[1])); s = j["source"]
errors = sum(e["count"] for e in s["errors"].values())
drops = sum(d["docs"] for d in s["drops"].values())
assert s["docs_in"] == s["docs_out"] + drops + errors, (sys.argv[4], s)
assert errors == int(sys.argv[2]), (sys.argv[4], "errors", s["errors"])
assert s["docs_out"] == int(sys.argv[3]), (sys.argv[4], "documents", s["docs_out"])
PY
}
# each broken record is one error; the good records on both sides are kept
for f in long short negative overflow missing endless; do
    for ext in warc warc.gz; do
        check $f.$ext 1 2
        zstdcat "$TMP"/o/*.zst | grep -q 'urn:uuid:r3' || { echo "$f.$ext: the next record is lost"; exit 1; }
    done
done
check long.warc.gz 1 2
grep -q "long.warc.gz' at offset [1-9]" "$TMP/err" || { cat "$TMP/err"; echo "offset of the member"; exit 1; }
check endless.warc 1 2
grep -q "endless.warc' at offset [1-9].*longer than" "$TMP/err" || { cat "$TMP/err"; exit 1; }
# the plain file names the byte offset of the broken record
check short.warc 1 2
off=$(python3 -c "import sys; d=open(sys.argv[1],'rb').read(); print(d.index(b'WARC/1.0', 1))" "$TMP/short.warc")
grep -q "short.warc' at offset $off:" "$TMP/err" || { cat "$TMP/err"; echo "want offset $off"; exit 1; }
# a chunked body cut short keeps the chunks' data, without the chunk-size lines
check chunkcut.warc 0 3
zstdcat "$TMP"/o/*.zst | grep 'urn:uuid:r2' | grep -q 'A paragraph of real' || { echo "cut chunked body lost"; exit 1; }
zstdcat "$TMP"/o/*.zst | grep 'urn:uuid:r2' | grep -q '"text":"28' && { echo "chunk sizes kept as text"; exit 1; }
grep -q '"warn.http_truncated_chunked_body": 1' "$TMP"/o/*.stats.json || { echo "cut chunked body not counted"; exit 1; }
# random damage to a .warc.gz (bytes flipped, zeroed, cut, repeated; fixed seed): every run
# completes and its counts reconcile
python3 - "$TMP" "$W" <<'PY' || exit 1
import gzip, json, os, random, shutil, subprocess, sys
tmp, W = sys.argv[1], sys.argv[2]
rng = random.Random(1)
html = b"<html><body><p>" + b"Words of a page that the extractor keeps as a paragraph. " * 8 + b"</p></body></html>"
def rec(i, typ, block):
    return (b"WARC/1.0\r\nWARC-Type: %s\r\nWARC-Record-ID: <urn:uuid:m%d>\r\nContent-Type: text/html\r\n"
            b"Content-Length: %d\r\n\r\n" % (typ, i, len(block)) + block + b"\r\n\r\n")
clean = b"".join(gzip.compress(rec(i, b"resource" if i % 3 else b"metadata", html)) for i in range(12))
bad = []
for it in range(60):
    d = bytearray(clean)
    a = rng.randrange(len(d))
    kind = it % 4
    if kind == 0:
        for _ in range(rng.randint(1, 6)):
            d[rng.randrange(len(d))] = rng.randrange(256)
    elif kind == 1:
        d[a:a + 300] = b"\0" * 300
    elif kind == 2:
        del d[a:a + rng.randint(1, 900)]
    else:
        d[a:a] = d[a:a + rng.randint(1, 900)]
    f = os.path.join(tmp, "m.warc.gz")
    open(f, "wb").write(bytes(d))
    out = os.path.join(tmp, "om")
    shutil.rmtree(out, ignore_errors=True)
    p = subprocess.run([W, "ingest", "-j1", "--quiet", f, "-o", out], capture_output=True, timeout=60)
    if p.returncode != 0:
        bad.append((it, "exit %d" % p.returncode)); continue
    s = json.load(open(os.path.join(out, "ingest-00000.stats.json")))["source"]
    errors = sum(e["count"] for e in s["errors"].values())
    drops = sum(x["docs"] for x in s["drops"].values())
    if s["docs_in"] != s["docs_out"] + drops + errors:
        bad.append((it, s["docs_in"], s["docs_out"], drops, s["errors"]))
assert not bad, bad
PY

# ARC: one error per broken record, the next record read
python3 - "$TMP" <<'PY' || exit 1
import sys
tmp = sys.argv[1]
page = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body><p>" + b"An archived page of words. " * 8 + b"</p></body></html>"
def rec(n, length=None):
    return (b"http://example.com/%d 93.184.216.119 20140216050221 text/html " % n +
            (str(len(page)).encode() if length is None else length) + b"\n" + page + b"\n")
desc = b"1 0 Test\nURL IP-address Archive-date Content-type Archive-length\n"
filedesc = b"filedesc://x.arc 0.0.0.0 20140216050221 text/plain %d\n" % len(desc) + desc + b"\n"
for name, length in [("overflow", b"99999999999999999999999"),
                     ("negative", b"-5"), ("text", b"abc"), ("short", str(len(page) - 30).encode()),
                     ("long", str(len(page) + 9).encode())]:
    open(f"{tmp}/{name}.arc", "wb").write(filedesc + rec(1) + rec(2, length) + rec(3))
PY
for f in overflow negative text short; do
    rm -rf "$TMP/o"
    timeout 60 $W ingest -j1 "$TMP/$f.arc" -o "$TMP/o" 2> "$TMP/err" || { cat "$TMP/err"; echo "$f.arc: failed or hung"; exit 1; }
    python3 - "$TMP/o/ingest-00000.stats.json" "$f" <<'PY' || { cat "$TMP/err"; exit 1; }
import json, sys
s = json.load(open(sys.argv[1]))["source"]
errors = sum(e["count"] for e in s["errors"].values())
assert (s["docs_in"], s["docs_out"], errors) == (4, 2, 1), (sys.argv[2], s)
PY
    zstdcat "$TMP"/o/*.zst | grep -q 'example.com/3"' || { echo "$f.arc: the next record is lost"; exit 1; }
done
rm -rf "$TMP/o"
$W ingest -j1 "$TMP/long.arc" -o "$TMP/o" 2> "$TMP/err" || exit 1
grep -q "arc.wrong_length: '.*long.arc' at offset [1-9]" "$TMP/err" || { cat "$TMP/err"; echo "a too-long record must be an error"; exit 1; }
zstdcat "$TMP"/o/*.zst | grep -q '"url":"ample.com' && { echo "a mangled header was read as a record"; exit 1; }
exit 0
