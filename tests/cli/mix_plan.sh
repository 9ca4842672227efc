# winnow mix plan: Llama 3's proportions at 15T tokens on paper (declared token counts, no
# data), warnings for unmet targets, and a mix executed from the same code on real tokens.
set -u
W=$WINNOW
REPO=$(pwd)
out=$($W mix plan "$REPO/configs/llama3.yaml" 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -q "main mix: budget 15.00T tokens" || { echo "$out"; exit 1; }
echo "$out" | grep -q "anneal mix: budget" || { echo "no anneal plan: $out"; exit 1; }
$W mix plan --json "$REPO/configs/llama3.yaml" | grep -q '"budget": 15000000000000' || exit 1

cat > "$TMP/m.yaml" <<YAML
seed: 1
sequence_length: 256
budget: 60K
sources:
  - {name: web, path: $REPO/tests/data/mix/web, weight: 0.8, max_epochs: 1.5}
  - {name: code, path: $REPO/tests/data/mix/code, weight: 0.2}
YAML
out=$($W mix plan "$TMP/m.yaml" 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -q "warning: main mix: source 'web' is capped at 1.5 epochs" || { echo "$out"; exit 1; }
echo "$out" | grep -q "capped at max_epochs" || { echo "$out"; exit 1; }
$W mix "$TMP/m.yaml" -o "$TMP/mix" --quiet || exit 1
[ -f "$TMP/mix/manifest.json" ] && [ -f "$TMP/mix/mix.done" ] || { echo "no manifest/done"; exit 1; }
grep -q '"bin_xxh3_128"' "$TMP/mix/manifest.json" || { echo "no input hashes"; exit 1; }
grep -q '"train_tokens"' "$TMP/mix/manifest.json" || { echo "no achieved tokens"; exit 1; }
# llm.c shards: the Llama 3 header (magic 20240801 = a1 d9 34 01, version 7)
printf 'format: llmc\n' > "$TMP/l.yaml"; sed '/^seed/d' "$TMP/m.yaml" >> "$TMP/l.yaml"
$W mix "$TMP/l.yaml" -o "$TMP/llmc" --quiet || exit 1
[ "$(head -c 8 "$TMP/llmc/mix_train_000000.bin" | od -An -tx1 | tr -d ' \n')" = "a1d9340107000000" ] || { echo "llm.c header"; exit 1; }
# missing -o and bad arguments are usage errors
$W mix "$TMP/m.yaml" 2>/dev/null; [ $? -eq 2 ] || { echo "missing -o must exit 2"; exit 1; }
exit 0
