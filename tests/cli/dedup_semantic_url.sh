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
grep -q '"clusters_in_blocks": 0' "$TMP/s1/state/semantic.json" || { echo "no report"; exit 1; }

# bounded: a 24 KB budget (sorted runs, clusters in blocks, kept rows spilled) with the whole
# corpus sampled removes exactly what the roomy run removed, at -j1 and -j2
for j in 1 2; do
  $W dedup semantic --quiet -j $j --eps 0.02 --memory 24K --kmeans-sample 1000 "$TMP/h.jsonl" \
     -o "$TMP/b$j" --clusters "$TMP/b$j.tsv" || exit 1
  cmp "$TMP/s1.tsv" "$TMP/b$j.tsv" || { echo "bounded -j$j differs from in-memory"; exit 1; }
done
grep -q '"clusters_in_blocks": [1-9]' "$TMP/b1/state/semantic.json" || { echo "no blocks"; exit 1; }
[ "$(ls "$TMP"/b1/state/sem-rows-*.wsr | wc -l)" -gt 1 ] || { echo "one sorted run only"; exit 1; }
# a sample smaller than the corpus (the memory cap): the same at -j1, -j2 and on a rerun
for r in 1 2 3; do j=$(( r == 2 ? 2 : 1 ))
  $W dedup semantic --quiet -j $j --eps 0.02 --memory 20K "$TMP/h.jsonl" -o "$TMP/c$r" \
     --clusters "$TMP/c$r.tsv" || exit 1
done
grep -q '"kmeans_sample": 9,' "$TMP/c1/state/semantic.json" || { cat "$TMP/c1/state/semantic.json"; exit 1; }
cmp "$TMP/c1.tsv" "$TMP/c2.tsv" && cmp "$TMP/c1.tsv" "$TMP/c3.tsv" || { echo "sampled run differs"; exit 1; }
[ "$(wc -l < "$TMP/c1.tsv")" -eq "$n" ] || { echo "sampled run lost documents"; exit 1; }
# phase by phase == all; a phase with another config refuses the state
for p in embed kmeans assign select apply; do
  $W dedup semantic --quiet --eps 0.02 --phase $p "$TMP/h.jsonl" -o "$TMP/p" --clusters "$TMP/p.tsv" || exit 1
done
cmp "$TMP/s1.tsv" "$TMP/p.tsv" || { echo "phases differ from all"; exit 1; }
$W dedup semantic --quiet --eps 0.03 --phase kmeans "$TMP/h.jsonl" -o "$TMP/p" 2> "$TMP/err"
[ $? -eq 1 ] && grep -q "sem-emb.wse' was made with config" "$TMP/err" || { cat "$TMP/err"; exit 1; }

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
[ $? -eq 1 ] && grep -q "bad.f32' has 2 embedding rows, the inputs have 3 documents" "$TMP/err" || { cat "$TMP/err"; exit 1; }
# a .npy of another dtype or shape is refused with its file name and what it holds
for bad in "'<f8'|(3, 2)|dtype '<f8'" "'<f4'|(3, 2, 1)|shape (3, 2, 1)" "'<f4'|(6,)|shape (6,)"; do
  dt=${bad%%|*}; rest=${bad#*|}; sh=${rest%%|*}; want=${rest#*|}
  h="{'descr': $dt, 'fortran_order': False, 'shape': $sh, }"
  { printf '\223NUMPY\001\000'; printf "\\$(printf %03o $(( ${#h} + 1 )))\\000"; printf '%s\n' "$h"
    tail -c 24 "$TMP/e.npy"; } > "$TMP/bad.npy"
  $W dedup semantic --quiet --embeddings "$TMP/bad.npy" "$TMP/e.jsonl" -o "$TMP/eb" 2> "$TMP/err"
  rc=$?
  msg=$(sed "s/bad.npy' holds /bad.npy' has /" "$TMP/err")
  [ $rc -eq 1 ] && case $msg in *"bad.npy' has $want"*) true;; *) false;; esac ||
    { echo "npy $bad:"; cat "$TMP/err"; exit 1; }
done
exit 0
