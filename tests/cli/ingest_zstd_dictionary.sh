# A .warc.zst as IIPC's "Zstandard Compression for WARC Files" allows and ArchiveTeam's
# wget-at writes: a dictionary (trained on the records, plain or itself zstd-compressed) in
# a skippable frame of magic 0x184D2A5D first, then one frame per record compressed with it.
# Real WARCs: the same documents as the plain file, each at its own frame's stored offset.
set -u
W=$WINNOW
D="$WINNOW_SHARED/data/warc"
[ -f "$D/resiliparse/warcfile.warc.gz" ] || { echo "shared data not found"; exit 77; }
python3 - "$TMP" "$D" <<'PY' || exit 1
import gzip, os, re, struct, subprocess, sys
tmp, d = sys.argv[1], sys.argv[2]
data = gzip.open(f"{d}/resiliparse/warcfile.warc.gz").read() + gzip.open(f"{d}/dolma/sample-0000.warc.gz").read()
starts = [m.start() for m in re.finditer(rb"(?m)^WARC/1\.[01]\r$", data)] + [len(data)]
recs = [data[a:b] for a, b in zip(starts, starts[1:])]
os.makedirs(f"{tmp}/samples")
for i, r in enumerate(recs):
    open(f"{tmp}/samples/{i}", "wb").write(r)
subprocess.run(["zstd", "-q", "--train", "--maxdict=32768", "-o", f"{tmp}/dict"] + [f"{tmp}/samples/{i}" for i in range(len(recs))], check=True)
dic = open(f"{tmp}/dict", "rb").read()
frames = [subprocess.run(["zstd", "-q", "-c", "-D", f"{tmp}/dict"], input=r, capture_output=True, check=True).stdout for r in recs]
for name, payload in (("dict", dic), ("zdict", subprocess.run(["zstd", "-q", "-c"], input=dic, capture_output=True, check=True).stdout)):
    head = b"\x5d\x2a\x4d\x18" + struct.pack("<I", len(payload)) + payload
    open(f"{tmp}/{name}.warc.zst", "wb").write(head + b"".join(frames))
    offs, at = [], len(head)
    for f in frames:
        offs.append(at); at += len(f)
    open(f"{tmp}/{name}.offsets", "w").write(" ".join(map(str, offs)))
open(f"{tmp}/plain.warc", "wb").write(data)
PY
docs() { python3 -c '
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l); print(d["metadata"]["warc_offset"], d["id"], json.dumps(d["text"]))' "$1"; }
$W ingest -j1 --compression none "$TMP/plain.warc" -o "$TMP/o-plain" --quiet || exit 1
docs "$TMP/o-plain/ingest-00000-0000.jsonl" | cut -d' ' -f2- > "$TMP/want"
[ "$(wc -l < "$TMP/want")" -ge 30 ] || { echo "too few documents"; exit 1; }
for f in dict zdict; do
    $W ingest -j1 --compression none "$TMP/$f.warc.zst" -o "$TMP/o-$f" 2> "$TMP/$f.err" || { cat "$TMP/$f.err"; exit 1; }
    grep -q "error" "$TMP/$f.err" && { cat "$TMP/$f.err"; exit 1; }
    docs "$TMP/o-$f/ingest-00000-0000.jsonl" > "$TMP/$f.docs"
    cut -d' ' -f2- "$TMP/$f.docs" | cmp -s - "$TMP/want" || { echo "$f: other documents than the plain WARC"; exit 1; }
    # each document's offset is the stored offset of its record's frame
    python3 -c '
import sys
offs = set(map(int, open(sys.argv[1]).read().split()))
bad = [l for l in open(sys.argv[2]) if int(l.split()[0]) not in offs]
sys.exit("offsets not at frames: %s" % bad[:2] if bad else 0)' "$TMP/$f.offsets" "$TMP/$f.docs" || exit 1
done
exit 0
