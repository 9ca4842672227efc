# winnow classify quantize (fastText's quantize without -retrain): the .ftz it writes loads
# in the official fastText, which predicts the same bytes from it as winnow; accuracy stays
# near that of the .bin; quantized norms (-qnorm), other sub-vector widths (-dsub), a pruned
# dictionary (-cutoff: the file has the size fastText's own quantize gives) and a quantized
# output matrix (-qout, which needs >= 256 labels, as in fastText) all agree; the same model
# quantizes to the same bytes every time; -retrain is refused.
set -u
W=$WINNOW
LIB=$(pwd)/tests/lib
cd "$TMP" || exit 1
. "$LIB/langid-split.sh"
awk 'NR % 5 == 0' all.txt > test.txt
fail=0
same() { # model: fastText and winnow print the same bytes for predict-prob
    fasttext predict-prob "$1" test.txt 3 > ref.out || { echo "fasttext cannot use $1"; fail=1; return; }
    $W classify predict-prob "$1" test.txt 3 > our.out || { echo "winnow cannot use $1"; fail=1; return; }
    cmp -s ref.out our.out || { echo "predictions differ on $1"; diff ref.out our.out | head -3; fail=1; }
}
p_at_1() { fasttext test "$1" test.txt | awk '$1 == "P@1" {print $2}'; }

$W classify supervised -input train.txt -output m -dim 8 -epoch 5 -lr 0.5 -wordNgrams 2 -minCount 3 \
    -bucket 5000 -thread 1 -verbose 0 || exit 1
$W classify quantize -output m -qnorm || exit 1
same m.ftz
cp m.ftz first.ftz
$W classify quantize -output m -qnorm || exit 1
cmp -s first.ftz m.ftz || { echo "quantizing twice gave different files"; fail=1; }
bin=$(p_at_1 m.bin) ftz=$(p_at_1 m.ftz)
echo "P@1: .bin $bin, .ftz $ftz; sizes $(wc -c < m.bin) -> $(wc -c < m.ftz) bytes"
awk -v a="$bin" -v b="$ftz" 'BEGIN { exit !(b >= a - 0.03) }' || { echo "quantized P@1 fell too far"; fail=1; }
[ "$(wc -c < m.ftz)" -lt "$(( $(wc -c < m.bin) / 2 ))" ] || { echo "the .ftz is not smaller"; fail=1; }
$W classify quantize -output m -dsub 4 || exit 1
same m.ftz
# pruned to the 3000 rows of largest norm: fastText's quantize writes a file of the same size
$W classify quantize -output m -qnorm -cutoff 3000 || exit 1
same m.ftz
cp m.bin ft.bin
fasttext quantize -input train.txt -output ft -qnorm -cutoff 3000 -verbose 0 || exit 1
[ "$(wc -c < m.ftz)" -eq "$(wc -c < ft.ftz)" ] || { echo "pruned sizes differ: $(wc -c < m.ftz) vs $(wc -c < ft.ftz)"; fail=1; }
echo "pruned to 3000 rows: P@1 winnow $(p_at_1 m.ftz), fastText $(p_at_1 ft.ftz)"

# a quantized output matrix needs >= 256 labels: 43 languages x 8 = 344 labels
awk '{ $1 = $1 "_" (NR % 8); print }' train.txt > many.txt
$W classify supervised -input many.txt -output many -dim 8 -epoch 2 -lr 0.5 -minCount 3 -bucket 5000 \
    -thread 1 -verbose 0 || exit 1
$W classify quantize -output many -qnorm -qout || exit 1
same many.ftz
err=$($W classify quantize -output m -qout 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q "has 43 rows: quantization needs at least 256" ||
    { echo "-qout on 43 labels: exit $rc: $err"; fail=1; }
$W classify quantize -output m -retrain 2>/dev/null; rc=$?
[ $rc -eq 2 ] || { echo "-retrain must be refused (exit $rc)"; fail=1; }
exit $fail
