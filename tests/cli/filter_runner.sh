# winnow filter's runner around the chain (core/runner.c): with reading ahead and writing
# behind on helper threads (-j2 and more), outputs are the same bytes at 1, 2 and 3 threads,
# also with small batches and parts rotating often, and with documents of a megabyte, whose
# batches are cut by their size; --where over annotated output reads the
# stored signals without yajl (core/jsonl_attrs.c) and gives the same documents at any -j;
# --compression-level changes the compressed bytes only.
set -u
W=$WINNOW
S="$WINNOW_SHARED/data"
[ -f "$S/quality/quality.jsonl.gz" ] || { echo "shared data '$S' not found"; exit 77; }
{ zcat "$S/quality/quality.jsonl.gz" | head -n 500; zcat "$S/langid/langid.jsonl.gz" | head -n 300; } > "$TMP/in.jsonl"
for j in 1 2 3; do
    $W filter --quiet -j$j --batch-size 37 --max-shard-size 64K "$TMP/in.jsonl" -o "$TMP/o$j" \
        --removed "$TMP/r$j" || exit 1
done
n=$(ls "$TMP/o1"/*.jsonl.zst | wc -l)
[ "$n" -gt 3 ] || { echo "expected several parts, got $n"; exit 1; }
for j in 2 3; do
    for d in o r; do
        for f in "$TMP/${d}1"/*.jsonl.zst; do
            cmp "$f" "$TMP/$d$j/$(basename "$f")" || { echo "-j1 and -j$j differ: $f"; exit 1; }
        done
        [ "$(ls "$TMP/${d}1" | wc -l)" -eq "$(ls "$TMP/$d$j" | wc -l)" ] || { echo "parts differ"; exit 1; }
    done
done
# big documents (0.15-0.4 MB of real text each, 9 MB in all): a fused pass cuts its
# batches at 4 MB of text, so they span several batches; the same bytes as one document a
# batch, kept and removed, and annotated (every document written, with its signals)
python3 - "$S/quality/quality.jsonl.gz" > "$TMP/big.jsonl" <<'PY' || exit 1
import gzip, json, sys
texts = [json.loads(l)["text"] for l in gzip.open(sys.argv[1], "rt", encoding="utf-8")]
out, i = [], 0
while sum(len(t) for t in out) < 9_000_000:
    n = 100 + 100 * (len(out) % 3)
    out.append("\n\n".join(texts[i:i + n]))
    i = (i + n) % (len(texts) - 300)
for k, t in enumerate(out):
    print(json.dumps({"id": "big-%d" % k, "text": t}))
PY
for b in 0 1 2; do
    j=$b; opt=""
    [ $b = 0 ] && { j=1; opt="--batch-size 1"; }
    $W filter --quiet -j$j $opt "$TMP/big.jsonl" -o "$TMP/b$b" --removed "$TMP/br$b" || exit 1
    $W filter --quiet -j$j $opt --annotate-only "$TMP/big.jsonl" -o "$TMP/ba$b" || exit 1
done
[ "$(zstdcat "$TMP/ba0"/*.jsonl.zst | wc -l)" -eq "$(wc -l < "$TMP/big.jsonl")" ] || { echo "big documents lost"; exit 1; }
for j in 1 2; do
    for d in b br ba; do
        [ "$(cat "$TMP/$d$j"/*.jsonl.zst | zstdcat | md5sum)" = "$(cat "$TMP/${d}0"/*.jsonl.zst | zstdcat | md5sum)" ] ||
            { echo "big documents: -j$j ($d) differs from one document a batch"; exit 1; }
    done
done
# annotated, then thresholds on the stored signals, at 1 and 2 threads
$W filter --quiet -j2 --annotate-only "$TMP/in.jsonl" -o "$TMP/a" || exit 1
zstdcat "$TMP/a"/*.jsonl.zst > "$TMP/annotated.jsonl"
grep -q '"gopher.symbol_ratio":\[\[0,' "$TMP/annotated.jsonl" || { echo "no signals stored"; exit 1; }
for j in 1 2; do
    $W filter --quiet -j$j --where 'gopher.symbol_ratio <= 0.15 && langid.score >= 0.65' \
        "$TMP/annotated.jsonl" -o "$TMP/w$j" || exit 1
done
cmp "$TMP/w1/filter-00000-0000.jsonl.zst" "$TMP/w2/filter-00000-0000.jsonl.zst" || { echo "--where: -j1 and -j2 differ"; exit 1; }
# --where writes the kept documents as they were read: every kept line is an input line
zstdcat "$TMP/w1"/*.jsonl.zst > "$TMP/kept.jsonl"
[ -s "$TMP/kept.jsonl" ] || { echo "--where kept nothing"; exit 1; }
python3 - "$TMP/annotated.jsonl" "$TMP/kept.jsonl" <<'PY' || exit 1
import sys
lines = set(open(sys.argv[1], encoding="utf-8"))
kept = list(open(sys.argv[2], encoding="utf-8"))
bad = [k for k in kept if k not in lines]
assert not bad, "changed by --where: " + bad[0][:200]
PY
# the compression level: other compressed bytes, the same documents
$W filter --quiet --compression-level 1 --batch-size 37 --max-shard-size 64K "$TMP/in.jsonl" -o "$TMP/l1" || exit 1
cmp -s "$TMP/l1/filter-00000-0000.jsonl.zst" "$TMP/o1/filter-00000-0000.jsonl.zst" && { echo "level 1 wrote level 3's bytes"; exit 1; }
[ "$(zstdcat "$TMP/l1"/*.jsonl.zst | md5sum)" = "$(zstdcat "$TMP/o1"/*.jsonl.zst | md5sum)" ] || { echo "level 1 changed the documents"; exit 1; }
$W filter --quiet --compression-level 0 "$TMP/in.jsonl" -o "$TMP/bad" 2> "$TMP/err"
[ $? -eq 2 ] && grep -q "bad --compression-level '0'" "$TMP/err" || { cat "$TMP/err"; echo "level 0 accepted"; exit 1; }
exit 0
