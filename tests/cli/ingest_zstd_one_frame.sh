# Real WARCs as a .warc.zst written as ONE zstd frame (`zstd x.warc`), as one frame per
# record, and damaged: every record's offset is one a user can seek to (the decompressed
# offset, said so, when the record does not start a frame of its own), a broken record in
# the one frame is skipped with the records after it read, a corrupt frame among per-record
# frames is skipped to the next frame, and a corrupt byte in the one frame keeps the records
# decoded before it. Counts reconcile in every case.
set -u
W=$WINNOW
D="$WINNOW_SHARED/data/warc"
[ -f "$D/dolma/sample-0000.warc.gz" ] || { echo "shared data not found"; exit 77; }
python3 - "$TMP" "$D" <<'PY' || exit 1
import gzip, re, subprocess, sys
tmp, d = sys.argv[1], sys.argv[2]
data = gzip.open(f"{d}/dolma/sample-0000.warc.gz").read() + gzip.open(f"{d}/resiliparse/warcfile.warc.gz").read()
starts = [m.start() for m in re.finditer(rb"(?m)^WARC/1\.[01]\r$", data)]
zstd = lambda b: subprocess.run(["zstd", "-q", "-c"], input=b, capture_output=True, check=True).stdout
open(f"{tmp}/all.warc", "wb").write(data)
open(f"{tmp}/all.warc.zst", "wb").write(zstd(data))
# a broken record: record 5's Content-Length made wrong (its first digit becomes 9)
bad_rec = starts[5]
i = data.index(b"Content-Length: ", bad_rec) + 16
bad = data[:i] + b"9" + data[i + 1:]
open(f"{tmp}/bad.warc", "wb").write(bad)
open(f"{tmp}/bad.warc.zst", "wb").write(zstd(bad))
open(f"{tmp}/bad.offset", "w").write(str(bad_rec))
# one frame per record, the frame of record 5 damaged in its middle
frames = [zstd(data[a:b]) for a, b in zip(starts, starts[1:] + [len(data)])]
f5 = bytearray(frames[5]); f5[len(f5) // 2] ^= 0xff; frames[5] = bytes(f5)
open(f"{tmp}/frames.warc.zst", "wb").write(b"".join(frames))
# one frame, a byte of its compressed data flipped at a known place, 60% in
one = bytearray(zstd(data)); one[len(one) * 6 // 10] ^= 0x55
open(f"{tmp}/flipped.warc.zst", "wb").write(bytes(one))
PY
run() { # name -> $TMP/o-name, docs as "offset id" lines in $TMP/name.docs
    $W ingest -j1 "$TMP/$1" -o "$TMP/o-$1" 2> "$TMP/$1.err" || { cat "$TMP/$1.err"; exit 1; }
    python3 "$(dirname "$0")/../lib/stats_reconcile.py" "$TMP/o-$1" > /dev/null || { echo "$1: counts do not reconcile"; exit 1; }
    zstdcat "$TMP/o-$1"/*.jsonl.zst | python3 -c '
import json, sys
for l in sys.stdin:
    d = json.loads(l); m = d["metadata"]
    print(m["warc_offset"], m.get("warc_offset_decompressed", False), d["id"])' > "$TMP/$1.docs"
}
for f in all.warc all.warc.zst bad.warc bad.warc.zst frames.warc.zst flipped.warc.zst; do run $f; done
# one frame: every document's offset is its record's decompressed offset, marked so
# (the first record starts the frame: its stored offset 0 is also right)
python3 - "$TMP/all.warc.docs" "$TMP/all.warc.zst.docs" <<'PY' || exit 1
import sys
plain = [l.split() for l in open(sys.argv[1])]
one = [l.split() for l in open(sys.argv[2])]
assert len(plain) == len(one) > 30, (len(plain), len(one))
for p, o in zip(plain, one):
    assert p[0] == o[0] and p[2] == o[2], (p, o)
    assert o[1] == ("True" if o[0] != "0" else "False"), o
PY
# a broken record inside the one frame: the error names its decompressed offset and says
# so, and the records after it are read as from the plain file
off=$(cat "$TMP/bad.offset")
grep -q "bad.warc.zst' at offset $off: .*decompressed data" "$TMP/bad.warc.zst.err" || { cat "$TMP/bad.warc.zst.err"; echo "want decompressed offset $off"; exit 1; }
cut -d' ' -f1,3 "$TMP/bad.warc.docs" > "$TMP/a"; cut -d' ' -f1,3 "$TMP/bad.warc.zst.docs" > "$TMP/b"
cmp -s "$TMP/a" "$TMP/b" || { diff "$TMP/a" "$TMP/b" | head; echo "one frame: other documents than the plain file"; exit 1; }
[ "$(wc -l < "$TMP/bad.warc.docs")" -ge "$(($(wc -l < "$TMP/all.warc.docs") - 1))" ] || { echo "records after the broken one lost"; exit 1; }
# per-record frames, one corrupt: that record is one error at its frame; the rest are read
python3 - "$TMP/all.warc.docs" "$TMP/frames.warc.zst.docs" "$TMP/o-frames.warc.zst" <<'PY' || { cat "$TMP/frames.warc.zst.err"; exit 1; }
import glob, json, sys
want = {l.split()[2] for l in open(sys.argv[1])}
got = {l.split()[2] for l in open(sys.argv[2])}
assert got <= want and len(want - got) <= 1, ("lost", want - got)
s = json.load(open(glob.glob(sys.argv[3] + "/*.stats.json")[0]))["source"]
assert sum(e["count"] for e in s["errors"].values()) == 1, s["errors"]
PY
# one frame with a flipped byte: the records before the damage are kept, the error names
# where the decompressed data stops
n=$(wc -l < "$TMP/flipped.warc.zst.docs")
[ "$n" -ge 10 ] || { cat "$TMP/flipped.warc.zst.err"; echo "one damaged frame kept $n documents"; exit 1; }
grep -q "io.corrupt_container\|corrupt compressed data" "$TMP/flipped.warc.zst.err" || { cat "$TMP/flipped.warc.zst.err"; exit 1; }
head -n "$n" "$TMP/all.warc.docs" | cut -d' ' -f3 > "$TMP/a"; cut -d' ' -f3 "$TMP/flipped.warc.zst.docs" > "$TMP/b"
cmp -s "$TMP/a" "$TMP/b" || { echo "the documents before the damage differ"; exit 1; }
exit 0
