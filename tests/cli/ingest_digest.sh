# WARC-Block-Digest is checked over each record's block as stored. Real WARCs: every record
# with a digest is verified, as an independent reader (Python's hashlib) finds, and the two
# warcio test files whose content was edited after writing show their one mismatch each. A
# byte changed inside a record of a multi-record gzip member and of one zstd frame (damage
# the containers' checksums cannot see: it happened before compression) is counted, named by
# file and offset, kept and marked by default, an error and dropped with --drop-bad-digest;
# counts reconcile. sha256/sha512, base16/base32/base64 and any case are read; an unknown
# algorithm or an unreadable value is counted, not checked.
# WARC-Payload-Digest is checked where no block digest covers the record: Heritrix's WARC
# 0.17 file has only payload digests (its documents' verify, a changed byte is caught), and a
# chunked body matches whether its writer hashed it with the chunk framing (warcio, wget) or
# without (the specification).
set -u
W=$WINNOW
D="$WINNOW_SHARED/data/warc"
R="$(dirname "$0")/../lib/stats_reconcile.py"
[ -f "$D/dolma/sample-0000.warc.gz" ] || { echo "shared data not found"; exit 77; }
sums() { # stats dir -> "verified mismatch unknown unreadable errors-of-kind docs_out"
    python3 - "$1" <<'PY'
import glob, json, sys
s = json.load(open(glob.glob(sys.argv[1] + "/*.stats.json")[0]))["source"]
g = lambda k: int(s.get("sums", {}).get(k, 0))
print(g("block_digests_verified"), g("warn.block_digest_mismatch"),
      g("warn.block_digest_unknown_algorithm"), g("warn.block_digest_unreadable"),
      s.get("errors", {}).get("warc.block_digest_mismatch", {}).get("count", 0), s["docs_out"])
PY
}
ingest() { # out-name args... ; fails the test when ingest fails or counts do not reconcile
    o=$1; shift
    $W ingest -j1 "$@" -o "$TMP/$o" 2> "$TMP/$o.err" || { cat "$TMP/$o.err"; exit 1; }
    python3 "$R" "$TMP/$o" > /dev/null || { echo "$o: counts do not reconcile"; exit 1; }
}
# 1. every real WARC: winnow's counts equal an independent check's
n=0
for f in "$D"/*/*.warc "$D"/*/*.warc.gz "$D"/*/*.warc.w?t.gz; do
    n=$((n + 1))
    want=$(python3 - "$f" <<'PY'
import base64, binascii, gzip, hashlib, re, sys
p = sys.argv[1]
data = (gzip.open(p) if p.endswith(".gz") else open(p, "rb")).read()
ok = bad = 0
pos = 0
version = re.compile(rb"WARC/1\.[01]\r?\n")
while (m := version.search(data, pos)):
    end = data.find(b"\r\n\r\n", m.end())
    if end < 0:
        break
    hdr = data[m.end():end].decode("latin1")
    cl = re.search(r"(?im)^content-length:\s*(\d+)", hdr)
    block = data[end + 4:end + 4 + int(cl.group(1))]
    pos = end + 4 + int(cl.group(1))
    tail = re.match(rb"[\r\n]{0,4}", data[pos:pos + 4]).group()
    rest = data[pos + len(tail):]
    if not (len(tail) == 4 or not rest or (tail and rest.startswith(b"WARC/"))):
        continue  # a wrong Content-Length (warc.c's block_end): an error, its digest not read
    dg = re.search(r"(?im)^warc-block-digest:\s*(\S+)", hdr)
    if not dg:
        continue
    alg, _, val = dg.group(1).partition(":")
    h = hashlib.new(alg.lower().replace("-", ""), block).digest()
    v = val.rstrip("=")
    if v.upper() in (base64.b32encode(h).decode().rstrip("="), h.hex().upper()) or \
            v in (base64.b64encode(h).decode().rstrip("="), base64.urlsafe_b64encode(h).decode().rstrip("=")):
        ok += 1
    else:
        bad += 1
print(ok, bad)
PY
)
    rm -rf "$TMP/real"
    ingest real "$f"
    got=$(sums "$TMP/real" | cut -d' ' -f1,2)
    [ "$got" = "$want" ] || { echo "'$f': verified, mismatched: $got, want $want"; exit 1; }
    echo "$f $got" >> "$TMP/census"
done
total=$(awk '{v += $2; b += $3} END {print v, b}' "$TMP/census")
[ "$total" = "358 2" ] || { cat "$TMP/census"; echo "real WARCs: $total verified/mismatched, want 358 2"; exit 1; }

# 2. one byte of a page's text changed before compression, in a multi-record gzip member and
# in one zstd frame (both decode cleanly: only the digest can tell)
python3 - "$TMP" "$D" <<'PY' || exit 1
import gzip, re, subprocess, sys
tmp, d = sys.argv[1], sys.argv[2]
data = gzip.open(f"{d}/dolma/sample-0000.warc.gz").read()
starts = [m.start() for m in re.finditer(rb"(?m)^WARC/1\.[01]\r$", data)]
# the first plain-encoded HTML response; in it, a letter in the middle of a long text run
for s in starts:
    hend = data.index(b"\r\n\r\n", s)
    http_end = data.index(b"\r\n\r\n", hend + 4)
    head = data[s:http_end].lower()
    if b"warc-type: response" in head and b"content-encoding" not in head and b"text/html" in head:
        break
m = re.compile(rb">([A-Za-z ,.]{60,})<").search(data, http_end)
i = m.start(1) + 30
bad = bytearray(data)
bad[i] = ord("x") if data[i] != ord("x") else ord("y")
open(f"{tmp}/ok.warc.gz", "wb").write(gzip.compress(data))
open(f"{tmp}/bad.warc.gz", "wb").write(gzip.compress(bytes(bad)))
z = subprocess.run(["zstd", "-q", "-c"], input=bytes(bad), capture_output=True, check=True).stdout
open(f"{tmp}/bad.warc.zst", "wb").write(z)
open(f"{tmp}/bad.offset", "w").write(str(s))
PY
off=$(cat "$TMP/bad.offset")
ingest ok "$TMP/ok.warc.gz"
kept=$(sums "$TMP/ok" | cut -d' ' -f6)
[ "$(sums "$TMP/ok")" = "48 0 0 0 0 $kept" ] || { sums "$TMP/ok"; echo "undamaged: want 48 verified"; exit 1; }
for f in bad.warc.gz bad.warc.zst; do
    ingest "k-$f" "$TMP/$f"
    [ "$(sums "$TMP/k-$f")" = "47 1 0 0 0 $kept" ] || { sums "$TMP/k-$f"; echo "$f: want 47 verified, 1 mismatch, $kept kept"; exit 1; }
    grep -q "warn.block_digest_mismatch: '$TMP/$f' at offset $off (decompressed): WARC-Block-Digest is sha1:" "$TMP/k-$f.err" ||
        { cat "$TMP/k-$f.err"; echo "$f: no message naming offset $off"; exit 1; }
    marked=$(zstdcat "$TMP/k-$f"/*.jsonl.zst | python3 -c '
import json, sys
print(" ".join(str(d["metadata"]["warc_offset"]) for d in map(json.loads, sys.stdin) if d["metadata"].get("warc_block_digest_mismatch")))')
    [ "$marked" = "$off" ] || { echo "$f: marked documents at '$marked', want $off"; exit 1; }
    ingest "d-$f" "$TMP/$f" --drop-bad-digest
    [ "$(sums "$TMP/d-$f")" = "47 0 0 0 1 $((kept - 1))" ] || { sums "$TMP/d-$f"; echo "$f --drop-bad-digest: want 1 error, $((kept - 1)) kept"; exit 1; }
    grep -q "warc.block_digest_mismatch: '$TMP/$f' at offset $off: .*dropped" "$TMP/d-$f.err" ||
        { cat "$TMP/d-$f.err"; echo "$f --drop-bad-digest: no error naming offset $off"; exit 1; }
done
zstdcat "$TMP/ok"/*.jsonl.zst | grep -q warc_block_digest_mismatch && { echo "undamaged documents marked"; exit 1; }

# 3. the digest's other spellings (headers rewritten; a block's length does not count them)
python3 - "$TMP" "$D" <<'PY' || exit 1
import base64, gzip, hashlib, re, sys
tmp, d = sys.argv[1], sys.argv[2]
data = gzip.open(f"{d}/ukwa/IAH-urls-wget.warc.gz").read()
out, pos, n = [], 0, 0
spell = [
    lambda b: "sha256:" + base64.b32encode(hashlib.sha256(b).digest()).decode().lower(),
    lambda b: "SHA-512:" + hashlib.sha512(b).hexdigest(),
    lambda b: "sha1:" + base64.b64encode(hashlib.sha1(b).digest()).decode(),
    lambda b: "sha-1:" + base64.b32encode(hashlib.sha1(b).digest()).decode().rstrip("="),
    lambda b: "sha256:" + base64.urlsafe_b64encode(hashlib.sha256(b).digest()).decode(),
    lambda b: "md5:" + hashlib.md5(b).hexdigest(),             # unknown algorithm
    lambda b: "sha1:" + hashlib.sha1(b).hexdigest()[:-1],      # unreadable: one digit short
    lambda b: "sha1" + hashlib.sha1(b).hexdigest(),            # unreadable: no colon
]
for m in re.finditer(rb"WARC/1\.0\r\n(.*?)\r\n\r\n", data, re.S):
    if m.start() < pos:
        continue
    cl = int(re.search(rb"(?i)content-length: *(\d+)", m.group(1)).group(1))
    block = data[m.end():m.end() + cl]
    hdr = m.group(1)
    if n < len(spell):
        hdr = re.sub(rb"(?im)^WARC-Block-Digest: *\S+", b"WARC-Block-Digest: " + spell[n](block).encode(), hdr)
        n += 1
    out.append(b"WARC/1.0\r\n" + hdr + b"\r\n\r\n" + block + b"\r\n\r\n")
    pos = m.end() + cl
open(f"{tmp}/spell.warc", "wb").write(b"".join(out))
PY
ingest spell "$TMP/spell.warc"
[ "$(sums "$TMP/spell" | cut -d' ' -f1-5)" = "33 0 1 2 0" ] || { sums "$TMP/spell"; echo "spellings: want 33 verified, 1 unknown, 2 unreadable"; exit 1; }

# 4. payload digests where there is no block digest
psums() { # stats dir -> "payload-verified payload-mismatch errors-of-kind block-verified docs_out"
    python3 - "$1" <<'PY'
import glob, json, sys
s = json.load(open(glob.glob(sys.argv[1] + "/*.stats.json")[0]))["source"]
g = lambda k: int(s.get("sums", {}).get(k, 0))
print(g("payload_digests_verified"), g("warn.payload_digest_mismatch"),
      s.get("errors", {}).get("warc.payload_digest_mismatch", {}).get("count", 0),
      g("block_digests_verified"), s["docs_out"])
PY
}
H="$D/ukwa/IAH-20080430204825-00000-blackbook-truncated.warc.gz"
ingest heritrix "$H"
[ "$(psums "$TMP/heritrix")" = "3 0 0 0 3" ] || { psums "$TMP/heritrix"; echo "Heritrix 0.17: want its 3 documents' payload digests verified"; exit 1; }
python3 - "$TMP" "$H" "$D/warcio/example-iana.org-chunked.warc" <<'PY' || exit 1
import base64, gzip, hashlib, re, sys
tmp, heritrix, chunked = sys.argv[1:4]
# a letter of the first HTML page's text changed (a record whose only digest is its payload's)
data = gzip.open(heritrix).read()
m = re.compile(rb"Content-Type: text/html.*?\r\n\r\n.*?>([A-Za-z ,.]{20,})<", re.S).search(data)
i = m.start(1) + 10
bad = bytearray(data)
bad[i] = ord("x") if data[i] != ord("x") else ord("y")
open(f"{tmp}/heritrix-bad.warc", "wb").write(bytes(bad))
open(f"{tmp}/heritrix-bad.offset", "w").write(str(data.rindex(b"WARC/0.17", 0, i)))
# a chunked response without its block digest, its payload digest over the body as stored,
# over the body without the framing, and over neither
rec = open(chunked, "rb").read()
starts = [m.start() for m in re.finditer(rb"WARC/1\.0\r\n", rec)] + [len(rec)]
for s, e in zip(starts, starts[1:]):
    if b"WARC-Type: response" in rec[s:e]:
        r = rec[s:e]
hend = r.index(b"\r\n\r\n")
cl = int(re.search(rb"Content-Length: *(\d+)", r[:hend]).group(1))
block = r[hend + 4:hend + 4 + cl]
body = block[block.index(b"\r\n\r\n") + 4:]
entity, rest = b"", body
while True:
    eol = rest.index(b"\r\n")
    n = int(rest[:eol].split(b";")[0], 16)
    if n == 0:
        break
    entity += rest[eol + 2:eol + 2 + n]
    rest = rest[eol + 2 + n + 2:]
assert entity and entity != body
def with_payload(digest_of):
    hdr = re.sub(rb"(?m)^WARC-Block-Digest: *\S+\r\n", b"", r[:hend])
    val = base64.b32encode(hashlib.sha1(digest_of).digest())
    hdr = re.sub(rb"(?m)^WARC-Payload-Digest: *\S+", b"WARC-Payload-Digest: sha1:" + val, hdr)
    return hdr + b"\r\n\r\n" + block + b"\r\n\r\n"
open(f"{tmp}/chunked.warc", "wb").write(with_payload(body) + with_payload(entity) +
                                         with_payload(entity[:-1]))
PY
off=$(cat "$TMP/heritrix-bad.offset")
ingest heritrix-bad "$TMP/heritrix-bad.warc"
[ "$(psums "$TMP/heritrix-bad")" = "2 1 0 0 3" ] || { psums "$TMP/heritrix-bad"; echo "changed byte: want 2 verified, 1 mismatch kept"; exit 1; }
grep -q "warn.payload_digest_mismatch: '$TMP/heritrix-bad.warc' at offset $off: WARC-Payload-Digest is sha1:" "$TMP/heritrix-bad.err" ||
    { cat "$TMP/heritrix-bad.err"; echo "no message naming offset $off"; exit 1; }
zstdcat "$TMP/heritrix-bad"/*.jsonl.zst | grep -c '"warc_payload_digest_mismatch":true' | grep -qx 1 ||
    { echo "want one document marked warc_payload_digest_mismatch"; exit 1; }
ingest heritrix-drop "$TMP/heritrix-bad.warc" --drop-bad-digest
[ "$(psums "$TMP/heritrix-drop")" = "2 0 1 0 2" ] || { psums "$TMP/heritrix-drop"; echo "--drop-bad-digest: want 1 error, 2 kept"; exit 1; }
ingest chunked "$TMP/chunked.warc"
[ "$(psums "$TMP/chunked")" = "2 1 0 0 3" ] || { psums "$TMP/chunked"; echo "chunked: want the stored and the unframed body's digests verified, the third a mismatch"; exit 1; }
exit 0
