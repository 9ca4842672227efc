# ARC: a record whose Archive-length is too long no longer takes the next records with it
# (second audit; WARC already gave them back). The block read goes back to the stream and
# the reader skips to the next header line, so: one error for the broken record, every
# later record read, counts that reconcile; in plain and in per-record gzip files, and when
# the length runs past the end of the file.
set -u
W=$WINNOW
python3 - "$TMP" <<'PY' || exit 1
import sys, gzip
tmp = sys.argv[1]
page = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body><p>" + b"An archived page of words. " * 8 + b"</p></body></html>"
def rec(n, extra=0):
    return (b"http://example.com/%d 93.184.216.119 20140216050221 text/html " % n +
            str(len(page) + extra).encode() + b"\n" + page + b"\n")
desc = b"1 0 Test\nURL IP-address Archive-date Content-type Archive-length\n"
filedesc = b"filedesc://x.arc 0.0.0.0 20140216050221 text/plain %d\n" % len(desc) + desc + b"\n"
full = len(rec(3))
cases = {
    "into_header": 9,                    # swallows the start of record 3's header line
    "into_page": full - 20,              # swallows record 3 up to the end of its page
    "two_records": 2 * full + 30,        # swallows records 3 and 4, and some of 5
    "past_end": 10 * full,               # runs past the end of the file
}
for name, extra in cases.items():
    recs = [filedesc, rec(1), rec(2, extra), rec(3), rec(4), rec(5)]
    open(f"{tmp}/{name}.arc", "wb").write(b"".join(recs))
    open(f"{tmp}/{name}.arc.gz", "wb").write(b"".join(gzip.compress(r) for r in recs))
PY
# file, documents wanted (of 1, 3, 4, 5), error kind
for c in "into_header 4 wrong_length" "into_page 4 wrong_length" "two_records 4 wrong_length" "past_end 4 truncated_record"; do
    set -- $c
    for ext in arc arc.gz; do
        rm -rf "$TMP/o"
        timeout 60 $W ingest -j1 "$TMP/$1.$ext" -o "$TMP/o" 2> "$TMP/err" || { cat "$TMP/err"; echo "$1.$ext failed"; exit 1; }
        grep -q "arc.$3: '.*$1.$ext' at offset [1-9]" "$TMP/err" || { cat "$TMP/err"; echo "$1.$ext: no $3 error"; exit 1; }
        python3 - "$TMP/o/ingest-00000.stats.json" "$1.$ext" "$2" <<'PY' || { cat "$TMP/err"; exit 1; }
import json, sys
s = json.load(open(sys.argv[1]))["source"]
errors = sum(e["count"] for e in s["errors"].values())
drops = sum(d["docs"] for d in s["drops"].values())
assert s["docs_in"] == s["docs_out"] + drops + errors, (sys.argv[2], s)
assert (s["docs_out"], errors) == (int(sys.argv[3]), 1), (sys.argv[2], s)
PY
        for n in 1 3 4 5; do
            zstdcat "$TMP"/o/*.zst | grep -q "\"url\":\"http://example.com/$n\"" || { echo "$1.$ext: record $n lost"; exit 1; }
        done
    done
done
exit 0
