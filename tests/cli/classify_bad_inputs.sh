# winnow classify refuses broken models and arguments with a message naming the subject,
# and finds the model it ships by name.
set -u
W=$WINNOW
cd "$TMP" || exit 1
printf 'not a model at all' > junk.bin
$W classify predict junk.bin /dev/null 2> err; [ $? -eq 1 ] || { echo "junk model must exit 1"; exit 1; }
grep -q "junk.bin.*wrong magic" err || { echo "message: $(cat err)"; exit 1; }
$W classify predict missing.bin /dev/null 2> err; [ $? -eq 1 ] || { echo "missing model must exit 1"; exit 1; }
grep -q "missing.bin" err || { echo "message: $(cat err)"; exit 1; }
$W classify predict junk.bin 2>/dev/null; [ $? -eq 2 ] || { echo "missing args must exit 2"; exit 1; }
$W classify predict junk.bin x 0 2>/dev/null; [ $? -eq 2 ] || { echo "k=0 must exit 2"; exit 1; }
$W classify supervised -input x.txt 2>/dev/null; [ $? -eq 2 ] || { echo "no -output must exit 2"; exit 1; }
$W classify supervised -input x.txt -output m -bogus 1 2>/dev/null; [ $? -eq 2 ] || { echo "unknown arg"; exit 1; }
$W classify supervised -input x.txt -output m -loss bogus 2>/dev/null; [ $? -eq 2 ] || { echo "unknown loss"; exit 1; }
printf 'words without labels\n' > nolabel.txt
$W classify supervised -input nolabel.txt -output m -verbose 0 2> err; [ $? -eq 1 ] || { echo "no labels must exit 1"; exit 1; }
grep -q "nolabel.txt" err || { echo "message: $(cat err)"; exit 1; }
$W classify nosuch 2>/dev/null; [ $? -eq 2 ] || { echo "unknown subcommand must exit 2"; exit 1; }
$W classify score --model junk.bin --name q x -o out 2>/dev/null; [ $? -eq 2 ] || { echo "score: missing input must exit 2"; exit 1; }
printf '{"id":"a","text":"x"}\n' > in.jsonl
$W classify score --model junk.bin --name q in.jsonl -o out 2> err; [ $? -eq 1 ] || { echo "score: junk model must exit 1"; exit 1; }
grep -q "junk.bin" err || { echo "message: $(cat err)"; exit 1; }
# a bare model name finds the shipped data/models/lid.176.ftz
printf "Ceci est une phrase en fran\303\247ais\n" | $W classify predict lid.176.ftz - | grep -qx '__label__fr' \
    || { echo "shipped lid.176.ftz not found or wrong"; exit 1; }
exit 0
