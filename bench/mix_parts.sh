#!/bin/sh
# The mix as 1 process vs N processes (`winnow mix --shard I/N` run at once, then
# `--finish`), on the biggest real tokenized input ../shared/data gives: every JSONL corpus
# there (Debian copyright files, SpamAssassin, Brown prose, README histories, Dolma CC,
# 43-language paragraphs: ~8.2M Llama 3 tokens) tokenized by winnow, mixed to BENCH_BUDGET
# tokens (default 100M, ~400 MB of int32 shards; sources upsampled, max_epochs 40).
# Alternating runs, BENCH_REPS pairs (default 3); each line gives wall seconds and CPU
# seconds (user + sys of all processes) and the output MB per wall and per CPU second.
# Every N-process result is compared byte for byte with the 1-process one.
set -e
cd "$(dirname "$0")/.."
S=$(cd "${WINNOW_SHARED:-../shared}" 2>/dev/null && pwd)/data
[ -d "$S" ] || { echo "skipped: $S not found"; exit 0; }
W=$(pwd)/winnow
T=${BENCH_DIR:-$(mktemp -d)}
trap 'rm -rf "$T"' EXIT
budget=${BENCH_BUDGET:-100000000}
reps=${BENCH_REPS:-3}
n=${BENCH_PARTS:-2}
export OMP_WAIT_POLICY=passive
mkdir -p "$T/tok"
for f in quality/spamassassin quality/quality dedup/copyright dedup/doc-history \
         dedup/spamassassin langid/langid warc/dolma/cc_en_head-0091; do
    "$W" tokenize "$S/$f.jsonl.gz" -o "$T/tok/$(echo "$f" | tr / _)" -j 2 --quiet
done
K=$T/tok
cat > "$T/mix.yaml" <<YAML
seed: 3
sequence_length: 8192
max_shard_size: 32M
budget: $budget
sources:
  - {name: general, path: [$K/dedup_copyright, $K/dedup_doc-history, $K/warc_dolma_cc_en_head-0091], weight: 0.5, max_epochs: 40}
  - {name: email, path: [$K/quality_spamassassin, $K/dedup_spamassassin], weight: 0.2, max_epochs: 40}
  - {name: prose, path: $K/quality_quality, weight: 0.2, max_epochs: 40}
  - {name: multilingual, path: $K/langid_langid, weight: 0.1, max_epochs: 40}
YAML
echo "inputs: $(cat "$K"/*.bin | wc -c) bytes of int32 tokens; load: $(cut -d' ' -f1-3 /proc/loadavg)"
# timed LABEL COMMAND...: wall and CPU seconds (children included) into $T/t
timed() {
    label=$1; shift
    /usr/bin/time -f "%e %U %S" -o "$T/t" sh -c "$*"
    read -r wall user sys < "$T/t"
    mb=$(cat "$T/$label"/*.bin | wc -c)
    awk -v l="$label" -v w="$wall" -v u="$user" -v s="$sys" -v b="$mb" 'BEGIN {
        printf "%-8s wall %6.2f s  cpu %6.2f s  %7.1f MB/s wall  %7.1f MB/cpu-s\n", l, w,
               u + s, b / 1e6 / w, b / 1e6 / (u + s) }'
}
parts=""
i=0
while [ $i -lt "$n" ]; do
    parts="$parts \"$W\" mix \"$T/mix.yaml\" -o \"$T/n$n\" --shard $i/$n --quiet &"
    i=$((i + 1))
done
r=0
while [ $r -lt "$reps" ]; do
    rm -rf "$T/n1" "$T/n$n"
    sync
    timed n1 "\"$W\" mix \"$T/mix.yaml\" -o \"$T/n1\" --quiet"
    sync
    timed "n$n" "$parts wait; \"$W\" mix \"$T/mix.yaml\" -o \"$T/n$n\" --finish --quiet"
    diff -r "$T/n1" "$T/n$n" > /dev/null || { echo "the $n-process mix differs"; exit 1; }
    r=$((r + 1))
done
echo "identical: every $n-process mix equals the 1-process one, byte for byte"
