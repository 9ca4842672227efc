# HTML and text files saved as UTF-16 with a byte-order mark (Windows "Unicode" files, either
# byte order) are read as such: the same documents as their UTF-8 copies, nothing counted as
# binary (they were "ingest.unknown_format" until the sixth session: their NULs read as binary).
set -u
W=$WINNOW
mkdir -p "$TMP/utf8" "$TMP/utf16"
python3 - "$TMP" <<'PY'
import sys
t = sys.argv[1]
page = ("<!DOCTYPE html><html><head><title>Caf\u00e9</title></head><body><article>"
        "<h1>Na\u00efve caf\u00e9 culture</h1><p>The caf\u00e9s of the old town open at seven, "
        "and their regulars \u2014 na\u00efve or not \u2014 argue about coffee until noon. "
        "\u65e5\u672c\u8a9e\u306e\u6587\u7ae0\u3082\u3042\u308a\u307e\u3059\u3002</p></article></body></html>\n")
note = "A note saved by Notepad as Unicode: caf\u00e9, na\u00efve, \u00fcber, \U0001F600.\n"
for name, text in (("page.html", page), ("note.txt", note)):
    open(t + "/utf8/" + name, "w", encoding="utf-8").write(text)
open(t + "/utf16/page.html", "wb").write(b"\xff\xfe" + page.encode("utf-16-le"))
open(t + "/utf16/note.txt", "wb").write(b"\xfe\xff" + note.encode("utf-16-be"))
PY
for k in utf8 utf16; do
    $W ingest --quiet "$TMP/$k" -o "$TMP/out-$k" || exit 1
    zstdcat "$TMP/out-$k"/*.jsonl.zst | python3 -c '
import json, sys
for l in sys.stdin:
    d = json.loads(l)
    print(d["id"].rsplit("/", 1)[-1], json.dumps(d["text"]))' | sort > "$TMP/$k.txt"
done
[ "$(wc -l < "$TMP/utf16.txt")" -eq 2 ] || { echo "UTF-16 files: $(cat "$TMP/utf16.txt")"; cat "$TMP"/out-utf16/*.stats.json; exit 1; }
cmp -s "$TMP/utf8.txt" "$TMP/utf16.txt" || { diff "$TMP/utf8.txt" "$TMP/utf16.txt"; exit 1; }
grep -q "na\\\\u00efve or not" "$TMP/utf16.txt" || { echo "text lost: $(cat "$TMP/utf16.txt")"; exit 1; }
grep -q "unknown_format" "$TMP"/out-utf16/*.stats.json && { echo "counted as binary"; exit 1; }
# binary that merely starts like a mark stays binary (its surrogates are out of pairs)
mkdir -p "$TMP/junk"
python3 -c 'import random, sys; r = random.Random(7); sys.stdout.buffer.write(b"\xff\xfe" + bytes(r.randrange(256) for _ in range(3000)))' > "$TMP/junk/x.bin"
$W ingest --quiet "$TMP/junk" -o "$TMP/out-junk" 2>/dev/null
grep -q '"ingest.unknown_format"' "$TMP"/out-junk/*.stats.json || { echo "random bytes after a mark read as text"; exit 1; }
exit 0
