# winnow classify score: the score lands in attributes, --threshold and --top-percent keep
# what they say, counts reconcile, output bytes do not depend on -j; and end to end:
# train on labelled real text, score the corpus, keep by threshold.
set -u
W=$WINNOW
D=$WINNOW_SHARED/data
command -v jq >/dev/null || { echo "jq not installed (tools/install-test-deps.sh)"; exit 77; }
[ -f "$D/langid/langid.jsonl.gz" ] || { echo "shared data not found"; exit 77; }
cd "$TMP" || exit 1
LID=$D/models/lid.176.ftz
zcat "$D/langid/langid.jsonl.gz" | head -1500 > in.jsonl
n=$(wc -l < in.jsonl)

$W classify score --quiet --model "$LID" --name lang_en --label en --threshold 0.5 -j 1 \
    in.jsonl -o t1 || exit 1
kept=$(zstdcat t1/*.jsonl.zst | wc -l)
removed=$(jq '.stages[0].drops["classify.below_threshold"].docs' t1/*.stats.json)
[ $((kept + removed)) -eq "$n" ] || { echo "kept $kept + removed $removed != $n"; exit 1; }
[ "$kept" -gt 50 ] || { echo "too few English documents kept: $kept"; exit 1; }
low=$(zstdcat t1/*.jsonl.zst | jq 'select(.attributes.lang_en[0][2] < 0.5)' | wc -l)
[ "$low" -eq 0 ] || { echo "$low documents below the threshold kept"; exit 1; }
zstdcat t1/*.jsonl.zst | jq -r .metadata.lang | sort | uniq -c | sort -rn | head -1 | grep -q ' en$' \
    || { echo "kept documents are not mostly English"; exit 1; }
# the same bytes with 2 threads
$W classify score --quiet --model "$LID" --name lang_en --label en --threshold 0.5 -j 2 \
    in.jsonl -o t2 || exit 1
cmp -s t1/classify-00000-0000.jsonl.zst t2/classify-00000-0000.jsonl.zst || { echo "-j1 != -j2"; exit 1; }

# top 10%: ceil(n/10) documents, the highest scores
$W classify score --quiet --model "$LID" --name lang_en --label __label__en --top-percent 10 \
    in.jsonl -o p || exit 1
kept=$(zstdcat p/*.jsonl.zst | wc -l)
want=$(( (n + 9) / 10 ))
[ "$kept" -ge "$want" ] && [ "$kept" -le $((want + 5)) ] || { echo "top 10%: kept $kept, want $want"; exit 1; }
# no filter: every document scored
$W classify score --quiet --model "$LID" --name lang_en --label en in.jsonl -o all || exit 1
[ "$(zstdcat all/*.jsonl.zst | jq -c '.attributes.lang_en[0][2]' | grep -c .)" -eq "$n" ] || { echo "not all scored"; exit 1; }

# end to end on the quality split: train, score, keep by threshold
zcat "$D/quality/quality.jsonl.gz" | jq -r '"__label__" + .label + " " + (.text | gsub("\\s+"; " "))' \
    | awk 'NR % 5 != 0' > train.txt
zcat "$D/quality/quality.jsonl.gz" | awk 'NR % 5 == 0' > held.jsonl
$W classify supervised -input train.txt -output q -dim 16 -epoch 5 -lr 0.5 -wordNgrams 2 \
    -bucket 100000 -thread 2 -verbose 0 || exit 1
$W classify score --quiet --model q.bin --name quality --label high --threshold 0.5 held.jsonl -o q || exit 1
good=$(zstdcat q/*.jsonl.zst | jq -r .metadata.label | grep -c '^high$')
all=$(zstdcat q/*.jsonl.zst | wc -l)
high=$(grep -c '"label": *"high"' held.jsonl)
[ "$good" -ge $((all * 95 / 100)) ] && [ "$good" -ge $((high * 9 / 10)) ] || \
    { echo "quality filter kept $all ($good high of $high)"; exit 1; }
exit 0
