#!/bin/sh
# bench/dedup_eval.sh: MinHash LSH against the exact word-5-gram Jaccard of every pair in
# ../shared/data/dedup (*-pairs.tsv). Runs `winnow dedup minhash` (default 14 x 8, and with
# --verify 0.8) on each set and `winnow dedup eval`, writes the full report to
# docs/dedup-eval.md and prints the compact table that README.md quotes.
cd "$(dirname "$0")/.." || exit 1
: "${WINNOW_SHARED:=$(pwd)/../shared}"
D=$WINNOW_SHARED/data/dedup
OUT=bench/out/dedup-eval
make -s winnow >/dev/null || exit 1
rm -rf "$OUT"
mkdir -p "$OUT"
REPORT=docs/dedup-eval.md
{
    echo "# MinHash LSH against exact Jaccard"
    echo
    echo "Produced by \`sh bench/dedup_eval.sh\` ($(date -u +%Y-%m-%d), winnow $(git rev-parse --short HEAD))."
    echo "Ground truth: ../shared/data/dedup/*-pairs.tsv, every pair with exact word-5-gram"
    echo "Jaccard >= 0.3 of \`text.lower().split()\`. Recall: pairs with J >= t that MinHash puts in"
    echo "one cluster (or that share a band: candidate). Precision: pairs in one cluster (or"
    echo "sharing a band) whose true J >= t; unlisted pairs count as J < 0.3."
    echo
} > "$REPORT"
SUMMARY="$OUT/summary.md"
echo "| data set | docs | J >= 0.7 recall / precision | J >= 0.8 recall / precision | J >= 0.9 recall / precision | estimate RMSE (theory) |" > "$SUMMARY"
echo "|---|---|---|---|---|---|" >> "$SUMMARY"
for set in copyright spamassassin doc-history; do
    for mode in default verify; do
        extra=""
        [ $mode = verify ] && extra="--verify 0.8"
        ./winnow dedup minhash --quiet $extra "$D/$set.jsonl.gz" -o "$OUT/$set-$mode" || exit 1
        label="$set"
        [ $mode = verify ] && label="$set, --verify 0.8"
        ./winnow dedup eval "$OUT/$set-$mode/state" "$D/$set-pairs.tsv" "$label" > "$OUT/$set-$mode.md" || exit 1
        cat "$OUT/$set-$mode.md" >> "$REPORT"
        docs=$(sed -n 's/^\([0-9]*\) documents.*/\1/p' "$OUT/$set-$mode.md")
        rows=$(grep '^| J >= ' "$OUT/$set-$mode.md" | awk -F'|' '{printf " %.3f / %.3f |", $4, $6}')
        rmse=$(sed -n 's/.*RMSE \([0-9.]*\) (theory RMSE \([0-9.]*\)).*/\1 (\2)/p' "$OUT/$set-$mode.md")
        echo "| $label | $docs |$rows $rmse |" >> "$SUMMARY"
    done
done
cat "$SUMMARY"
