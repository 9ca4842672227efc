# Valid WARC records in the shapes writers really use, around one real page (the sample
# crawl's Common Crawl record): WARC/1.0 and 1.1, field names in any case and order, a
# Content-Length first, folded field values, bare LF line ends, HTTP/1.0, a status line
# without a reason, LF-only HTTP headers, no HTTP Content-Type, upper-case types, XHTML, and
# resource and conversion (WET) records. Each gives the page's document with the same text;
# an empty response record is a skip (skip.empty_payload), not an error; counts reconcile.
set -u
W=$WINNOW
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
python3 - "$ROOT/data/sample/crawl/whirlwind.warc.gz" "$TMP" <<'PY' || exit 1
import gzip, re, sys
d = gzip.open(sys.argv[1]).read()
i = d.index(b"WARC-Type: response"); h = d.index(b"\r\n\r\n", i)
n = int(re.search(rb"Content-Length: (\d+)", d[i:h]).group(1))
page = d[h + 4:h + 4 + n].split(b"\r\n\r\n", 1)[1]
def http(body=page, status=b"HTTP/1.1 200 OK", ct=b"Content-Type: text/html; charset=UTF-8\r\n", nl=b"\r\n"):
    return (status + b"\r\n" + ct + b"Content-Length: %d\r\n\r\n" % len(body)).replace(b"\r\n", nl) + body
def rec(i, block, typ=b"response", ct=b"application/http; msgtype=response", ver=b"WARC/1.1",
        nl=b"\r\n", case=lambda k: k, cl_first=False):
    f = [(b"WARC-Type", typ), (b"WARC-Record-ID", b"<urn:uuid:odd-%d>" % i),
         (b"WARC-Target-URI", b"https://an.wikipedia.org/wiki/Escopete"),
         (b"WARC-Date", b"2024-05-18T01:58:10Z"), (b"Content-Type", ct),
         (b"Content-Length", b"%d" % len(block))]
    if cl_first:
        f = f[-1:] + f[:-1]
    return ver + nl + b"".join(case(k) + b": " + v + nl for k, v in f) + nl + block + nl + nl
text = b"Escopete ye un municipio d'a provincia de Guadalachara."
cases = [
    rec(1, http(), ver=b"WARC/1.0"), rec(2, http()), rec(3, http(), case=bytes.lower),
    rec(4, http(), case=bytes.upper), rec(5, http(), cl_first=True),
    rec(6, http(nl=b"\n"), nl=b"\n"), rec(7, http(status=b"HTTP/1.0 200 OK")),
    rec(8, http(status=b"HTTP/1.1 200")), rec(9, http(ct=b"")),
    rec(10, http(ct=b"CONTENT-TYPE: TEXT/HTML; CHARSET=UTF-8\r\n")),
    rec(11, http(ct=b"Content-Type: application/xhtml+xml\r\n")),
    rec(12, page, typ=b"resource", ct=b"text/html"),
    rec(13, http(), ct=b"application/http;\r\n msgtype=response"),
]
wet = rec(14, text, typ=b"conversion", ct=b"text/plain")
empty = rec(15, b"")
open(f"{sys.argv[2]}/odd.warc", "wb").write(b"".join(cases) + wet + empty)
open(f"{sys.argv[2]}/n", "w").write(str(len(cases)))
PY
$W ingest -j1 --compression none "$TMP/odd.warc" -o "$TMP/o" 2> "$TMP/err" || { cat "$TMP/err"; exit 1; }
python3 "$ROOT/tests/lib/stats_reconcile.py" "$TMP/o" > /dev/null || { echo "counts do not reconcile"; exit 1; }
python3 - "$TMP/o" "$(cat "$TMP/n")" <<'PY' || { cat "$TMP/err"; exit 1; }
import json, sys
docs = {d["id"]: d for d in map(json.loads, open(sys.argv[1] + "/ingest-00000-0000.jsonl"))}
n = int(sys.argv[2])
want = ["urn:uuid:odd-%d" % i for i in range(1, n + 1)] + ["urn:uuid:odd-14"]
lost = [i for i in want if i not in docs]
assert not lost, ("records lost", lost)
ref = docs["urn:uuid:odd-2"]["text"]
assert "Escopete ye un municipio" in ref
other = [i for i in want[:n] if docs[i]["text"] != ref]
assert not other, ("other text than the plain record's", other)
s = json.load(open(sys.argv[1] + "/ingest-00000.stats.json"))["source"]
assert s["errors"] == {}, s["errors"]
assert s["drops"].get("skip.empty_payload", {}).get("docs") == 1, s["drops"]
PY
