# An .arc.gz compressed whole (one gzip member for many records, `gzip x.arc`): each
# document's id and arc_offset name its record's offset in the decompressed data (marked
# arc_offset_decompressed; ids "arc:dN"), not the member every record shares (every id
# was "arc:0"). A per-record .arc.gz keeps its members' offsets. Real ARC (warcio's
# example.arc.gz, its records twice). An error there names the decompressed offset and says
# so, as WARC errors do.
set -u
W=$WINNOW
src="$WINNOW_SHARED/data/warc/warcio/example.arc.gz"
[ -f "$src" ] || { echo "shared data not found"; exit 77; }
zcat "$src" "$src" > "$TMP/two.arc"
gzip -c "$TMP/two.arc" > "$TMP/two.arc.gz"
ids() { $W ingest -j1 --compression none "$1" -o "$TMP/o" --force --quiet || exit 1
        python3 -c '
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)["metadata"] | {"id": json.loads(l)["id"]}
    print(d["id"], d["arc_offset"], d.get("arc_offset_decompressed", False))' "$TMP/o/ingest-00000-0000.jsonl"; }
ids "$TMP/two.arc" > "$TMP/plain"
ids "$TMP/two.arc.gz" > "$TMP/whole"
[ "$(wc -l < "$TMP/plain")" -eq 2 ] || { cat "$TMP/plain"; exit 1; }
# the plain file's offsets, marked as decompressed ones
sed 's/^arc:\([0-9]*\) \([0-9]*\) False$/arc:d\1 \2 True/' "$TMP/plain" | cmp -s - "$TMP/whole" ||
    { cat "$TMP/plain" "$TMP/whole"; echo "one member: not the records' decompressed offsets"; exit 1; }
[ "$(cut -d' ' -f1 "$TMP/whole" | sort -u | wc -l)" -eq 2 ] || { echo "ids not unique"; exit 1; }
# an error in a record of the whole-compressed file names the decompressed offset and says so
# (a user must not seek to it in the stored file); in the plain file it does not say so
off=$(sed -n 2p "$TMP/plain" | cut -d' ' -f2)
python3 -c '
import sys
b = bytearray(open(sys.argv[1], "rb").read()); o = b.index(b"\n", int(sys.argv[2]))
b[o - 4:o] = b"junk"  # the second record header Archive-length: no longer a header line
open(sys.argv[3], "wb").write(b)' "$TMP/two.arc" "$off" "$TMP/bad.arc"
gzip -c "$TMP/bad.arc" > "$TMP/bad.arc.gz"
for f in bad.arc bad.arc.gz; do
    $W ingest -j1 "$TMP/$f" -o "$TMP/o-$f" --force 2> "$TMP/$f.err"
    grep -q "arc.bad_header.*$f' at offset $off" "$TMP/$f.err" || { cat "$TMP/$f.err"; echo "$f: want the error at $off"; exit 1; }
done
grep -q "decompressed data" "$TMP/bad.arc.gz.err" || { cat "$TMP/bad.arc.gz.err"; echo "not said to be a decompressed offset"; exit 1; }
! grep -q "decompressed data" "$TMP/bad.arc.err" || { cat "$TMP/bad.arc.err"; echo "a plain file's offset called decompressed"; exit 1; }
# per-record members: the member's stored offset, as before
ids "$src" > "$TMP/members"
grep -q '^arc:171 171 False$' "$TMP/members" || { cat "$TMP/members"; exit 1; }
exit 0
