#!/bin/sh
# fastText compatibility at speed: winnow classify vs the official `fasttext` tool (Debian
# package) on the real text of ../shared/data/quality (Brown prose = high, spam = low).
#
#  training    the same hyperparameters (fastText defaults, -wordNgrams 2, 2M buckets, the
#              "bigram model"), the same threads; words/s per thread, and the held-out P@1
#              of both models as judged by `fasttext test`.
#  prediction  `predict-prob` of the fastText-trained bigram model, and of the shipped
#              lid.176.ftz, over the corpus repeated to ~30 MB, one thread; MB/s with the
#              model load (timed on empty input) taken out; outputs compared byte for byte.
# Times are the best of N runs (BENCH_REPS, default 3) in CPU seconds (user + sys), so the
# figures are per core even on a shared machine; training CPU time is divided by threads.
set -e
cd "$(dirname "$0")/.."
Q=$(cd "${WINNOW_SHARED:-../shared}" 2>/dev/null && pwd)/data/quality/quality.jsonl.gz
command -v fasttext >/dev/null || { echo "skipped: fasttext not installed"; exit 0; }
command -v jq >/dev/null || { echo "skipped: jq not installed"; exit 0; }
[ -f "$Q" ] || { echo "skipped: $Q not found"; exit 0; }
W=$(pwd)/winnow
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
zcat "$Q" | jq -r '"__label__" + .label + " " + (.text | gsub("\\s+"; " "))' > all.txt
awk 'NR % 5 != 0' all.txt > train.txt
awk 'NR % 5 == 0' all.txt > test.txt
reps=${BENCH_REPS:-3}
threads=${BENCH_THREADS:-2}
epoch=${BENCH_EPOCH:-25}
# best <reps> <command...>: the least CPU time (user + sys, from GNU time) of reps runs, so
# that other jobs on a shared machine do not count; wall clock when GNU time is missing.
cpu_time() {
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f "%U %S" -o "$T/time.out" "$@" > /dev/null
        awk '{print $1 + $2}' "$T/time.out"
    else
        t0=$(date +%s.%N); "$@" > /dev/null; t1=$(date +%s.%N)
        awk -v x="$t0" -v y="$t1" 'BEGIN{print y - x}'
    fi
}
best() {
    n=$1; shift; b=""
    for i in $(seq 1 "$n"); do
        t=$(cpu_time "$@")
        b=$(awk -v a="$b" -v t="$t" 'BEGIN{print (a == "" || t < a) ? t : a}')
    done
    echo "$b"
}
P="-wordNgrams 2 -epoch $epoch -thread $threads -verbose 0"
ft_train=$(best "$reps" fasttext supervised -input train.txt -output ft $P)
wn_train=$(best "$reps" "$W" classify supervised -input train.txt -output wn $P)
words=$(awk '{n += NF + 1} END {print n}' train.txt)   # fastText counts labels and </s>
ft_p1=$(fasttext test ft.bin test.txt | awk '$1=="P@1"{print $2}')
wn_p1=$(fasttext test wn.bin test.txt | awk '$1=="P@1"{print $2}')

for i in $(seq 1 12); do cat all.txt; done > pred.txt
: > empty.txt
mb=$(wc -c < pred.txt | awk '{print $1/1e6}')
ft_load=$(best "$reps" fasttext predict-prob ft.bin empty.txt)
wn_load=$(best "$reps" "$W" classify predict-prob ft.bin empty.txt)
ft_pred=$(best "$reps" fasttext predict-prob ft.bin pred.txt)
wn_pred=$(best "$reps" "$W" classify predict-prob ft.bin pred.txt)
# the language-ID case: the shipped lid.176.ftz (quantized, pruned, hierarchical softmax)
LID=$OLDPWD/data/models/lid.176.ftz
ft_lload=$(best "$reps" fasttext predict-prob "$LID" empty.txt)
wn_lload=$(best "$reps" "$W" classify predict-prob "$LID" empty.txt)
ft_lid=$(best "$reps" fasttext predict-prob "$LID" pred.txt)
wn_lid=$(best "$reps" "$W" classify predict-prob "$LID" pred.txt)
fasttext predict-prob "$LID" pred.txt > ref.out
"$W" classify predict-prob "$LID" pred.txt > our.out
cmp -s ref.out our.out && lsame="identical" || lsame="DIFFERENT"
fasttext predict-prob ft.bin pred.txt > ref.out
"$W" classify predict-prob ft.bin pred.txt > our.out
cmp -s ref.out our.out && same="identical" || same="DIFFERENT"

awk -v w="$words" -v e="$epoch" -v th="$threads" -v ft="$ft_train" -v wn="$wn_train" \
    -v fp="$ft_p1" -v wp="$wn_p1" -v mb="$mb" -v fl="$ft_load" -v wl="$wn_load" \
    -v fpr="$ft_pred" -v wpr="$wn_pred" -v same="$same" -v fll="$ft_lload" -v wll="$wn_lload" \
    -v fli="$ft_lid" -v wli="$wn_lid" -v lsame="$lsame" 'BEGIN {
    printf "training: %d train lines of real text, %d tokens x %d epochs, -wordNgrams 2, %d threads\n", 0, w, e, th
    printf "  %-34s %8.2f cpu-s  %10.0f words/s/thread  P@1 %s\n", "fasttext supervised", ft, w*e/ft, fp
    printf "  %-34s %8.2f cpu-s  %10.0f words/s/thread  P@1 %s   %.2fx faster\n", "winnow classify supervised", wn, w*e/wn, wp, ft/wn
    fm = fpr - fl; wm = wpr - wl
    printf "prediction: predict-prob, fastText bigram model (2M buckets, dim 100), %.1f MB, 1 thread\n", mb
    printf "  %-34s %8.2f cpu-s  (load %.2f)  %6.1f MB/s\n", "fasttext predict-prob", fpr, fl, mb/fm
    printf "  %-34s %8.2f cpu-s  (load %.2f)  %6.1f MB/s   %.2fx faster; outputs %s\n", "winnow classify predict-prob", wpr, wl, mb/wm, fm/wm, same
    fm = fli - fll; wm = wli - wll
    printf "prediction: predict-prob, lid.176.ftz (quantized, pruned, hs), same input, 1 thread\n"
    printf "  %-34s %8.2f cpu-s  (load %.2f)  %6.1f MB/s\n", "fasttext predict-prob", fli, fll, mb/fm
    printf "  %-34s %8.2f cpu-s  (load %.2f)  %6.1f MB/s   %.2fx faster; outputs %s\n", "winnow classify predict-prob", wli, wll, mb/wm, fm/wm, lsame
}' | sed "s/^training: 0 train lines/training: $(wc -l < train.txt) train lines/"
