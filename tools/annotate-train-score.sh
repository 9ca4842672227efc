#!/bin/sh
# annotate-train-score.sh: the model-labelled quality filter of Llama 3 and FineWeb-Edu in
# three winnow commands (docs/annotate.md):
#   1. winnow annotate         an LLM labels a seeded sample (resumable)
#   2. winnow classify supervised   a fastText classifier learns the labels
#   3. winnow classify score   every document gets P(good) in attributes.NAME; keep by
#                              threshold (or --top-percent, DCLM style)
#
# usage: tools/annotate-train-score.sh --url URL --model NAME -o OUTDIR [options] INPUT...
#   --config C       annotate config (default fineweb-edu)
#   --sample N       documents to label (default 10000)
#   --seed S         sampling seed (default 0)
#   --bin T          scale configs: labels high (score >= T) / low; default 3, FineWeb-Edu's
#   --positive L     label whose probability is the score (default high; yes for yes/no)
#   --keep P         classify score --threshold (default 0.5), or
#   --top-percent P  keep the P% highest-scoring documents instead
#   --name NAME      attribute name (default quality)
#   --parallel N     requests in flight (default 8)
#   --train "ARGS"   fastText arguments (default "-epoch 5 -wordNgrams 2 -lr 0.5 -dim 64")
# Outputs: OUTDIR/annotate/ (labels, train.txt), OUTDIR/model.bin, OUTDIR/scored/.
# Each step is skipped when its output is complete, so running it again resumes.
set -eu
W="${WINNOW:-$(dirname "$0")/../winnow}"
config=fineweb-edu sample=10000 seed=0 bin=3 positive="" keep=0.5 top="" name=quality
parallel=8 train="-epoch 5 -wordNgrams 2 -lr 0.5 -dim 64" url="" model="" out=""
# the usage block above, without its '# '
usage() { sed -n '9,21p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
    -h|--help) usage; exit 0 ;;
    --url|--model|-o|--output|--config|--sample|--seed|--bin|--positive|--keep|--top-percent|--name|--parallel|--train)
        [ $# -ge 2 ] || { echo "annotate-train-score: $1 needs a value (--help for usage)" >&2; exit 2; } ;;
    esac
    case "$1" in
    --url) url=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    -o|--output) out=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --sample) sample=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --positive) positive=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --top-percent) top=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    --parallel) parallel=$2; shift 2 ;;
    --train) train=$2; shift 2 ;;
    --) shift; break ;;
    -*) echo "annotate-train-score: unknown option '$1' (--help for usage)" >&2; exit 2 ;;
    *) break ;;
    esac
done
if [ -z "$url" ] || [ -z "$model" ] || [ -z "$out" ] || [ $# -eq 0 ]; then
    usage >&2
    exit 2
fi
case "$config" in *yesno*) : "${positive:=yes}"; binopt="" ;; *) binopt="--threshold $bin" ;; esac
: "${positive:=high}"

# 1. labels
"$W" annotate --config "$config" --url "$url" --model "$model" --sample "$sample" --seed "$seed" \
    --parallel "$parallel" $binopt -o "$out/annotate" "$@"
# 2. classifier (fastText's own format and arguments; the .bin loads in fastText too)
if [ ! -f "$out/model.bin" ] || [ "$out/annotate/train.txt" -nt "$out/model.bin" ]; then
    # shellcheck disable=SC2086
    "$W" classify supervised -input "$out/annotate/train.txt" -output "$out/model" $train -verbose 0
fi
# 3. score everything, keep the good part
if [ -n "$top" ]; then filter="--top-percent $top"; else filter="--threshold $keep"; fi
# shellcheck disable=SC2086
"$W" classify score --model "$out/model.bin" --name "$name" --label "$positive" $filter \
    -o "$out/scored" "$@"
