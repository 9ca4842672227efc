# winnow classify against the official fastText tool (Debian package `fasttext`): models
# it trains (every loss, word and char n-grams, a pruned quantized one) predict the same
# bytes in both; models winnow trains load in fastText and predict the same bytes there.
set -u
W=$WINNOW
D=$WINNOW_SHARED/data
LIB=$(pwd)/tests/lib
cd "$TMP" || exit 1
. "$LIB/langid-split.sh"
# test lines, plus the awkward ones: empty, labels only, a 1 MB line, the word "</s>" inside
# a line (fastText ends the line there), no final newline
{ awk 'NR % 5 == 0' all.txt | head -300
  echo; echo "__label__en __label__fr"; echo "   "
  head -c 1048576 /dev/zero | tr '\0' 'x'; echo
  printf '__label__fr un </s> deux __label__en\nfin </s>\n</s>\na</s> </s>\tb\n'
  awk 'NR % 5 == 0' all.txt | sed -n 401,420p | awk '{ $3 = $3 " </s>"; print }'
  awk 'NR % 5 == 0' all.txt | sed -n 301,400p | tr '\n' ' '
  printf 'le dernier mot sans fin de ligne'; } > test.txt
fail=0
same() { # same <what> <command args...>: fastText and winnow print the same bytes
    what=$1; shift
    fasttext "$@" > ref.out 2>ref.err || { echo "fasttext failed on $what"; cat ref.err; fail=1; return; }
    $W classify "$@" > our.out || { echo "winnow failed on $what"; fail=1; return; }
    cmp -s ref.out our.out || { echo "differs: $what"; diff ref.out our.out | head -5; fail=1; }
}
for spec in "sm -loss softmax" "hs -loss hs" "ova -loss ova" "ns -loss ns" \
            "ng -loss hs -wordNgrams 2 -minn 2 -maxn 4 -bucket 50000"; do
    set -- $spec; name=$1; shift
    fasttext supervised -input train.txt -output "ft_$name" -dim 12 -epoch 4 -lr 0.5 \
        -thread 1 -verbose 0 "$@" || exit 1
    same "ft_$name predict-prob k=-1" predict-prob "ft_$name.bin" test.txt -1
    same "ft_$name predict k=3 th=0.05" predict "ft_$name.bin" test.txt 3 0.05
    same "ft_$name test" test "ft_$name.bin" test.txt 2
done
# quantized with a pruned dictionary and quantized norms
fasttext quantize -input train.txt -output ft_ng -cutoff 2000 -qnorm -verbose 0 >/dev/null || exit 1
same "ft_ng.ftz predict-prob" predict-prob ft_ng.ftz test.txt 5
same "lid.176.ftz predict-prob" predict-prob "$D/models/lid.176.ftz" test.txt -1
# winnow-trained models, predicted by fastText
$W classify supervised -input train.txt -output wn_sm -dim 12 -epoch 4 -lr 0.5 -wordNgrams 2 \
    -bucket 50000 -thread 2 -verbose 0 || exit 1
$W classify supervised -input train.txt -output wn_ova -loss ova -dim 12 -epoch 4 -minn 3 \
    -maxn 5 -bucket 50000 -thread 1 -verbose 0 || exit 1
$W classify supervised -input train.txt -output wn_hs -loss hs -dim 12 -epoch 4 -thread 1 -verbose 0 || exit 1
$W classify supervised -input train.txt -output wn_ns -loss ns -dim 12 -epoch 4 -thread 1 -verbose 0 || exit 1
for m in wn_sm wn_ova wn_hs wn_ns; do
    same "$m predict-prob" predict-prob "$m.bin" test.txt -1
    same "$m test" test "$m.bin" test.txt
done
# PREFIX.vec: what `fasttext print-word-vectors` says of the same .bin, line for line
head -1 wn_ova.vec | grep -qx "$(grep -c '' wn_ova.vec | awk '{print $1 - 1}') 12" || { echo "bad .vec header"; fail=1; }
tail -n +2 wn_ova.vec | cut -d' ' -f1 | fasttext print-word-vectors wn_ova.bin > ref.out
tail -n +2 wn_ova.vec | cmp -s - ref.out || { echo "differs: wn_ova.vec"; fail=1; }
# stdin, as `fasttext predict model -`
head -20 test.txt | fasttext predict-prob wn_sm.bin - 2 > ref.out
head -20 test.txt | $W classify predict-prob wn_sm.bin - 2 > our.out
cmp -s ref.out our.out || { echo "differs on stdin"; fail=1; }
exit $fail
