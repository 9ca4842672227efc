# Llama 3's KL-divergence filter in its two passes over real text: pass 1 builds the
# reference token distribution (Llama 3 tokenizer), pass 2 scores; a paragraph written
# backwards (the same characters, outlier tokens) scores far above the same paragraph.
set -u
W=$WINNOW
Q="$WINNOW_SHARED/data/quality/quality.jsonl.gz"
[ -f "$Q" ] || { echo "shared data '$Q' not found"; exit 77; }
zcat "$Q" > "$TMP/q.jsonl"
printf 'filters:\n  - name: kl_divergence\n    build_reference: %s\n' "$TMP/ref.tsv" > "$TMP/build.yaml"
printf 'filters:\n  - name: kl_divergence\n    reference: %s\n    max_kl: 3.5\n' "$TMP/ref.tsv" > "$TMP/score.yaml"
$W filter --quiet --config "$TMP/build.yaml" "$TMP/q.jsonl" -o "$TMP/p1" || exit 1
head -1 "$TMP/ref.tsv" | grep -q '^# unit: tokens' || { echo "reference header"; exit 1; }
[ "$(wc -l < "$TMP/ref.tsv")" -gt 10000 ] || { echo "reference too small"; exit 1; }
python3 - "$TMP/q.jsonl" "$TMP/probe.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d["label"] == "high" and len(d["text"].split()) > 150:
        break
with open(sys.argv[2], "w") as f:
    f.write(json.dumps({"id": "forward", "text": d["text"]}) + "\n")
    f.write(json.dumps({"id": "backward", "text": d["text"][::-1]}) + "\n")
PY
$W filter --quiet --config "$TMP/score.yaml" "$TMP/probe.jsonl" -o "$TMP/p2" --removed "$TMP/rm" || exit 1
zstdcat "$TMP"/p2/*.jsonl.zst | grep -q '"id":"forward".*"kl.divergence"' || { echo "forward not kept"; exit 1; }
zstdcat "$TMP"/rm/*.jsonl.zst | grep -q '"id":"backward".*"winnow_removed_by":"kl.divergence"' || { echo "backward not dropped"; exit 1; }
# the word-unigram variant must refuse a token reference
printf 'filters:\n  - name: kl_divergence\n    unit: words\n    reference: %s\n' "$TMP/ref.tsv" > "$TMP/w.yaml"
$W filter --quiet --config "$TMP/w.yaml" "$TMP/probe.jsonl" -o "$TMP/p3" 2>&1 | grep -q "another unit" || { echo "unit mismatch not caught"; exit 1; }
# q is a distribution over the reference's words and the document's unseen ones, so KL is
# never negative: against a reference of 4 words (the x3, cat; denominator 4 + 2 + 1), 50
# different unseen words score log(56/50) (each unseen word counts one: 4 + 2 + 50), where
# one unseen bucket per word gave log(7/50) < 0
printf '# unit: words\n3\tthe\n1\tcat\n' > "$TMP/small.tsv"
printf 'filters:\n  - name: kl_divergence\n    unit: words\n    reference: %s\n    max_kl: 100\n' "$TMP/small.tsv" > "$TMP/small.yaml"
python3 -c 'import json; print(json.dumps({"id": "u", "text": " ".join("w%d" % i for i in range(50))}))' > "$TMP/unseen.jsonl"
$W filter --quiet --annotate-only --config "$TMP/small.yaml" "$TMP/unseen.jsonl" -o "$TMP/p4" || exit 1
zstdcat "$TMP"/p4/*.jsonl.zst | python3 -c '
import json, math, sys
d = json.loads(sys.stdin.readline())
kl = d["attributes"]["kl.divergence"][0][2]
want = math.log(56 / 50)
sys.exit(0 if abs(kl - want) < 1e-9 else "kl.divergence %r, want %r" % (kl, want))' || exit 1
exit 0
