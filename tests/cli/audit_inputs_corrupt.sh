# Whole inputs that are odd or broken: JSONL with a byte-order mark, a concatenated .jsonl.gz
# with one corrupt member, a shard whose only input is junk or a cut .zst (a counted bad
# record: the run completes, it is not "an input that could not be opened"), and the
# warc_offset of documents from a .warc.gz (the gzip member of their own record).
set -u
W=$WINNOW
stats_ok() { # stats.json, docs_out wanted, error kind wanted
    python3 - "$@" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["source"]
errors = sum(e["count"] for e in s["errors"].values())
drops = sum(d["docs"] for d in s["drops"].values())
assert s["docs_in"] == s["docs_out"] + drops + errors, s
assert s["docs_out"] == int(sys.argv[2]), ("docs_out", s)
assert sys.argv[3] == "-" or sys.argv[3] in s["errors"], ("errors", s["errors"])
PY
}
# a BOM before the first record (Windows tools write one): the record is read
printf '\357\273\277{"id":"a","text":"first record after a byte-order mark"}\r\n{"id":"b","text":"second"}\r\n' > "$TMP/bom.jsonl"
$W ingest -j1 --quiet "$TMP/bom.jsonl" -o "$TMP/bom" || exit 1
stats_ok "$TMP/bom/ingest-00000.stats.json" 2 - || exit 1
$W filter -j1 --quiet --annotate-only "$TMP/bom.jsonl" -o "$TMP/bomf" || exit 1
stats_ok "$TMP/bomf/filter-00000.stats.json" 2 - || exit 1

# three gzip members back to back, the middle one corrupt: the third is still read
python3 - "$TMP/multi.jsonl.gz" <<'PY' || exit 1
import gzip, json, random, sys
rng = random.Random(7)
words = "the of and a to in is was for on that with as by at from it his an were are which".split()
def member(first):
    lines = [json.dumps({"id": f"d{first + i}", "text": " ".join(rng.choice(words) for _ in range(400))})
             for i in range(50)]
    return gzip.compress(("\n".join(lines) + "\n").encode())
m1, m2, m3 = member(0), bytearray(member(50)), member(100)
for k in range(40, 60):
    m2[len(m2) // 2 + k] ^= 0x5a
open(sys.argv[1], "wb").write(m1 + bytes(m2) + m3)
PY
$W ingest -j1 "$TMP/multi.jsonl.gz" -o "$TMP/multi" 2> "$TMP/err" || { cat "$TMP/err"; exit 1; }
grep -q "io.corrupt_container: '.*multi.jsonl.gz' at offset [1-9].*next gzip member" "$TMP/err" || { cat "$TMP/err"; exit 1; }
zstdcat "$TMP"/multi/*.zst | grep -q '"id":"d149"' || { echo "the member after a corrupt one was lost"; exit 1; }
stats_ok "$TMP/multi/ingest-00000.stats.json" "$(zstdcat "$TMP"/multi/*.zst | wc -l)" io.corrupt_container || exit 1

# text refused for its Unicode alone (raw bytes that are not UTF-8; escaped surrogates that
# do not pair, as Python writes for surrogateescape text): kept with U+FFFD, counted
python3 - "$TMP/uni.jsonl" <<'PY2' || exit 1
import sys
open(sys.argv[1], "wb").write(b"\n".join([
    b'{"id":"raw","text":"caf\xe9 \xff\xfe and more words"}',
    b'{"id":"lone","text":"a lone \\ud800 half"}',
    b'{"id":"pair","text":"a pair \\ud83d\\ude00 and an escaped \\\\ud800"}',
    b'{"id":"broken","text":"not json \xff',
]) + b"\n")
PY2
for cmd in ingest filter; do
    extra=""; [ $cmd = filter ] && extra=--annotate-only
    $W $cmd -j1 --quiet $extra "$TMP/uni.jsonl" -o "$TMP/uni-$cmd" || exit 1
    stats_ok "$TMP/uni-$cmd/$cmd-00000.stats.json" 3 jsonl.bad_record || exit 1
    grep -q '"decode.unicode_repaired": 2' "$TMP/uni-$cmd/$cmd-00000.stats.json" || { echo "$cmd: repairs not counted"; exit 1; }
done
zstdcat "$TMP"/uni-ingest/*.zst | python3 -c '
import json, sys
d = {j["id"]: j["text"] for j in map(json.loads, sys.stdin)}
assert d["raw"] == "caf\ufffd \ufffd\ufffd and more words", d["raw"]
assert d["lone"] == "a lone \ufffd half", d["lone"]
assert d["pair"] == "a pair \U0001F600 and an escaped \\ud800", d["pair"]
' || exit 1

# a whole .html.gz with garbage appended: the page is kept, the garbage counted at its offset
python3 -c "
import gzip, sys
page = b'<html><body><p>' + b'A page that was stored whole before junk was appended to it. ' * 5 + b'</p></body></html>'
z = gzip.compress(page)
open(sys.argv[1], 'wb').write(z + b'trailing junk, not gzip' * 3)
print(len(z))" "$TMP/page.html.gz" > "$TMP/zlen" || exit 1
$W ingest -j1 "$TMP/page.html.gz" -o "$TMP/page" 2> "$TMP/err" || { cat "$TMP/err"; exit 1; }
stats_ok "$TMP/page/ingest-00000.stats.json" 1 io.corrupt_container || exit 1
grep -q "page.html.gz' at offset $(cat "$TMP/zlen"): data after the last gzip member" "$TMP/err" || { cat "$TMP/err"; exit 1; }

# a shard whose only input is junk, or a .zst cut inside its first block: exit 0, counted
# fixed bytes, not /dev/urandom: one file in 256 began with '{' and was read as JSONL
python3 -c 'import random, sys; r = random.Random(7); sys.stdout.buffer.write(bytes([1]) + bytes(r.randrange(256) for _ in range(2999)))' > "$TMP/junk.bin"
$W ingest -j1 --quiet "$TMP/junk.bin" -o "$TMP/junk" || { echo "junk alone must not fail the shard"; exit 1; }
stats_ok "$TMP/junk/ingest-00000.stats.json" 0 ingest.unknown_format || exit 1
python3 -c "print('\n'.join('{\"text\": \"line %d of a file\"}' % i for i in range(40000)))" | zstd -q > "$TMP/full.jsonl.zst"
head -c 2000 "$TMP/full.jsonl.zst" > "$TMP/cut.jsonl.zst"
$W ingest -j1 --quiet "$TMP/cut.jsonl.zst" -o "$TMP/cut" || { echo "a cut .zst alone must not fail the shard"; exit 1; }
stats_ok "$TMP/cut/ingest-00000.stats.json" 0 io.corrupt_container || exit 1
$W ingest -j1 --quiet "$TMP/no-such-file.warc" -o "$TMP/none" 2>/dev/null && { echo "a missing input must fail"; exit 1; }

# warc_offset names the gzip member of the document's own record
src="$WINNOW_SHARED/data/warc/resiliparse/warcfile.warc.gz"
[ -f "$src" ] || { echo "shared data not found"; exit 77; }
$W ingest -j1 --quiet "$src" -o "$TMP/wo" || exit 1
zstdcat "$TMP"/wo/*.zst | python3 -c '
import json, sys, zlib
data = open(sys.argv[1], "rb").read()
n = 0
for line in sys.stdin:
    d = json.loads(line)
    off = d["metadata"]["warc_offset"]
    head = zlib.decompressobj(31).decompress(data[off:off + 65536])[:4000]
    assert head.startswith(b"WARC/") and d["id"].encode() in head, (d["id"], off)
    n += 1
assert n >= 10, n
' "$src" || { echo "warc_offset does not name the record's member"; exit 1; }
exit 0
