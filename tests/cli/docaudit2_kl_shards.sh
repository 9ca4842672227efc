# kl_divergence pass 1 on a cluster (docs/audit.md, seventh session, second round): with
# --shard I/N every task wrote the same reference file and the last one won. Now each
# writes its part, and pass 2 sums the parts into exactly the reference one unsharded pass
# 1 writes (compared by pass 2's output, byte for byte); a part missing or parts beside a
# whole reference are errors naming the file.
set -u
W=$WINNOW
Q="$WINNOW_SHARED/data/quality/quality.jsonl.gz"
[ -f "$Q" ] || { echo "shared data '$Q' not found"; exit 77; }
cd "$TMP" || exit 1
mkdir in
zcat "$Q" | head -600 | split -l 200 -d --additional-suffix=.jsonl - in/q
build() { printf 'filters:\n  - name: kl_divergence\n    unit: words\n    build_reference: %s\n    min_count: 3\n' "$1" > "$2"; }
score() { printf 'filters:\n  - name: kl_divergence\n    unit: words\n    reference: %s\n    min_count: 3\n' "$1" > "$2"; }
build whole.tsv b1.yaml; build part.tsv.gz b3.yaml
score whole.tsv s1.yaml; score part.tsv.gz s3.yaml
$W filter --quiet --config b1.yaml in -o p1 || exit 1
for i in 0 1 2; do
    $W filter --quiet --config b3.yaml in -o p3 --shard $i/3 || exit 1
done
[ -f part.tsv.00002-of-00003.gz ] || { echo "no part 2: $(ls)"; exit 1; }
[ -e part.tsv.gz ] && { echo "a shard wrote the whole reference"; exit 1; }
$W filter --quiet --annotate-only --config s1.yaml in -o a1 || exit 1
$W filter --quiet --annotate-only --config s3.yaml in -o a3 || exit 1
zstdcat a1/*.jsonl.zst > a1.jsonl; zstdcat a3/*.jsonl.zst > a3.jsonl
grep -q kl.divergence a1.jsonl || { echo "no score"; exit 1; }
cmp a1.jsonl a3.jsonl || { echo "the summed parts score otherwise than one reference"; exit 1; }
# the same with Llama 3 token ids (labels of digits, summed from one buffer)
printf 'filters:\n  - name: kl_divergence\n    build_reference: tok.tsv\n' > bt.yaml
printf 'filters:\n  - name: kl_divergence\n    build_reference: tokp.tsv\n' > btp.yaml
printf 'filters:\n  - name: kl_divergence\n    reference: tok.tsv\n' > st.yaml
printf 'filters:\n  - name: kl_divergence\n    reference: tokp.tsv\n' > stp.yaml
$W filter --quiet --config bt.yaml in/q00.jsonl in/q01.jsonl -o t1 || exit 1
for i in 0 1; do $W filter --quiet --config btp.yaml in/q00.jsonl in/q01.jsonl -o t2 --shard $i/2 || exit 1; done
$W filter --quiet --annotate-only --config st.yaml in/q02.jsonl -o at1 || exit 1
$W filter --quiet --annotate-only --config stp.yaml in/q02.jsonl -o at2 || exit 1
zstdcat at1/*.jsonl.zst > at1.jsonl; zstdcat at2/*.jsonl.zst > at2.jsonl
cmp at1.jsonl at2.jsonl || { echo "tokens: the summed parts score otherwise than one reference"; exit 1; }
# a part missing, and a whole reference beside the parts
mv part.tsv.00001-of-00003.gz away.gz
$W filter --quiet --config s3.yaml in -o x 2> err; rc=$?
[ $rc -eq 2 ] && grep -q "part.tsv.00001-of-00003.gz': pass 1 with --shard 1/3 has not finished" err ||
    { echo "missing part: exit $rc: $(cat err)"; exit 1; }
mv away.gz part.tsv.00001-of-00003.gz
cp whole.tsv part.tsv.gz
$W filter --quiet --config s3.yaml in -o y 2> err; rc=$?
[ $rc -eq 2 ] && grep -q "both exist" err || { echo "whole and parts: exit $rc: $(cat err)"; exit 1; }
exit 0
