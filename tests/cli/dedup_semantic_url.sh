# Semantic dedup (built-in embedding, and float32 .npy / raw embeddings from a file) and
# URL dedup (normalised URLs, the most recent crawl kept).
set -u
W=$WINNOW
# URL: three crawls of one page under different spellings, one other page, one without URL
cat > "$TMP/u.jsonl" <<'JSON'
{"id":"a","text":"old","created":"2023-01-01","metadata":{"url":"HTTP://Example.com:80/page/#top"}}
{"id":"b","text":"newest","created":"2024-06-01","metadata":{"url":"http://example.com/page"}}
{"id":"c","text":"mid","created":"2023-09-01","metadata":{"url":"http://EXAMPLE.com/page/"}}
{"id":"d","text":"other","metadata":{"url":"https://example.com/page"}}
{"id":"e","text":"no url"}
JSON
$W dedup url --quiet "$TMP/u.jsonl" -o "$TMP/u" || exit 1
ids=$(zstdcat "$TMP"/u/dedup-00000-*.jsonl.zst | sed 's/^{"id":"\([a-z]\)".*/\1/' | tr -d '\n')
[ "$ids" = "bde" ] || { echo "url: kept '$ids', want bde"; exit 1; }
grep -q '"dedup.no_url"' "$TMP"/u/state/sign-00000.stats.json || { echo "no_url not counted"; exit 1; }

D=$WINNOW_SHARED/data/dedup
[ -f "$D/doc-history.jsonl.gz" ] || { echo "shared data not found: skipped"; exit 77; }
zcat "$D/doc-history.jsonl.gz" > "$TMP/h.jsonl"
n=$(wc -l < "$TMP/h.jsonl")
$W dedup semantic --quiet -j 1 --eps 0.02 "$TMP/h.jsonl" -o "$TMP/s1" --clusters "$TMP/s1.tsv" || exit 1
$W dedup semantic --quiet -j 2 --eps 0.02 "$TMP/h.jsonl" -o "$TMP/s2" --clusters "$TMP/s2.tsv" || exit 1
cmp "$TMP/s1.tsv" "$TMP/s2.tsv" || { echo "semantic differs -j1/-j2"; exit 1; }
removed=$(grep -c 'removed$' "$TMP/s1.tsv")
kept=$(zstdcat "$TMP"/s1/dedup-00000-*.jsonl.zst | wc -l)
[ "$removed" -gt 0 ] && [ $((kept + removed)) -eq "$n" ] || { echo "semantic: $kept kept + $removed removed != $n"; exit 1; }
# consecutive README versions are near-identical: most go at a small eps, not all
[ "$kept" -ge 2 ] || { echo "semantic removed everything"; exit 1; }

# embeddings from a file: rows 0 and 2 identical, row 1 orthogonal (float32 .npy and raw)
printf '{"id":"x","text":"one"}\n{"id":"y","text":"two"}\n{"id":"z","text":"three"}\n' > "$TMP/e.jsonl"
hdr="{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }"
{ printf '\223NUMPY\001\000'; printf "\\$(printf %03o $(( ${#hdr} + 1 )))\\000"; printf '%s\n' "$hdr"
  printf '\000\000\200\077\000\000\000\000'; printf '\000\000\000\000\000\000\200\077'
  printf '\000\000\200\077\000\000\000\000'; } > "$TMP/e.npy"
$W dedup semantic --quiet --k 1 --embeddings "$TMP/e.npy" "$TMP/e.jsonl" -o "$TMP/en" || exit 1
[ "$(zstdcat "$TMP"/en/dedup-00000-*.jsonl.zst | tr '\n' ' ' | grep -o '"id":"[a-z]"' | tr -d '\n')" = '"id":"x""id":"y"' ] || { echo "npy: z duplicates x"; exit 1; }
tail -c 24 "$TMP/e.npy" > "$TMP/e.f32"
$W dedup semantic --quiet --k 1 --dim 2 --embeddings "$TMP/e.f32" "$TMP/e.jsonl" -o "$TMP/er" || exit 1
[ "$(zstdcat "$TMP"/er/dedup-00000-*.jsonl.zst | wc -l)" -eq 2 ] || { echo "raw rows"; exit 1; }
# a row count that does not match the documents is refused
head -c 16 "$TMP/e.f32" > "$TMP/bad.f32"
$W dedup semantic --quiet --dim 2 --embeddings "$TMP/bad.f32" "$TMP/e.jsonl" -o "$TMP/eb" 2> "$TMP/err"
[ $? -eq 1 ] && grep -q "2 embedding rows, the inputs have 3 documents" "$TMP/err" || { cat "$TMP/err"; exit 1; }
exit 0
