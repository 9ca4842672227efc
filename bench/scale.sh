#!/bin/sh
# Memory and time against corpus size: every data command over real JSONL at 1x, 4x and 16x
# (bench/scale_corpus.py: ~18 MB of real documents, then copies with new ids, URLs and
# reshuffled lines), at -j1 and -j2, each under /usr/bin/time: peak RSS (MB) and CPU seconds
# (user + system) per MB of input. A command whose peak RSS grows with the input holds
# something per document; docs/run.md ("Ninth session") has the table and what each costs.
# SCALE_SIZES="1 4 16" (default; BENCH_QUICK=1: "1 4"). Not part of CI: the machine is
# shared, so numbers are under load. Needs python3 for the corpus. dedup semantic runs
# above 4x only with SCALE_SEMANTIC=1.
set -e
cd "$(dirname "$0")/.."
S=${WINNOW_SHARED:-../shared}/data
[ -d "$S/quality" ] || { echo "skipped: $S not found"; exit 0; }
command -v python3 >/dev/null || { echo "skipped: no python3"; exit 0; }
make -s winnow >/dev/null
export OMP_WAIT_POLICY=passive
SIZES=${SCALE_SIZES:-1 4 16}
[ -n "$BENCH_QUICK" ] && SIZES=${SCALE_SIZES:-1 4}
W=$(pwd)/winnow
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
$W ingest --quiet -j1 "$S/html/article-extraction-benchmark/html" "$S/warc/wget" \
    "$S/warc/dolma" -o "$T/web"
zstdcat "$T"/web/*.jsonl.zst > "$T/web.jsonl"
# one measured run: tag, then the command; prints tag K j MB RSS-MB CPU-s s/MB
m() {
    tag=$1; shift
    if ! nice /usr/bin/time -f '%M %U %S' -o "$T/time" "$@" > "$T/log" 2>&1; then
        echo "failed: $tag x$K -j$j"; tail -n 5 "$T/log"; return 0
    fi
    tail -n 1 "$T/time" | awk -v t="$tag" -v k="$K" -v j="$j" -v mb="$MB" '{
        printf "%-18s %3sx -j%s %7.1f MB %8.1f MB RSS %8.2f CPU-s %7.4f s/MB\n",
               t, k, j, mb, $1 / 1024, $2 + $3, ($2 + $3) / mb }'
}
for K in $SIZES; do
    D=$T/x$K
    mkdir -p "$D"
    python3 bench/scale_corpus.py "$K" "$T/web.jsonl" "$S" "$D"
    IN=$D/docs.jsonl
    MB=$(wc -c < "$IN" | awk '{print $1 / 1e6}')
    # the --where input: the documents annotated with every filter's signals (not measured)
    $W filter --quiet -j2 --annotate-only "$IN" -o "$D/annotated"
    cat > "$D/run.yaml" <<YAML
workdir: $D/run
parallel: 2
threads: 1
shards: 2
sources:
  - name: web
    inputs: [$IN]
    ingest: {}
    filter: {config: $(pwd)/configs/filters/llama3.yaml}
    dedup:
      - {method: url}
      - {method: minhash}
      - {method: line}
    classify: {model: $(pwd)/data/models/lid.176.ftz, name: lang_en, label: __label__en}
    tokenize: {}
mix:
  seed: 42
  sequence_length: 1024
  val_fraction: 0.05
  max_shard_size: 64M
  keep_remainder: true
  sources:
    - {name: web, weight: 0.7, max_epochs: 2}
    - {name: code, path: $(pwd)/tests/data/mix/code, weight: 0.3, max_epochs: 1}
YAML
    for j in 1 2; do
        O=$D/o$j
        rm -rf "$O"; mkdir -p "$O"
        m ingest $W ingest --quiet -j$j "$IN" -o "$O/ingest"
        m filter $W filter --quiet -j$j "$IN" -o "$O/filter"
        m filter-where $W filter --quiet -j$j --where 'gopher.symbol_ratio <= 0.15 && langid.score >= 0.65' \
            "$D"/annotated/*.jsonl.zst -o "$O/where"
        for method in url exact minhash line semantic; do
            # semantic's k-means has k = sqrt(n) clusters, so its time per MB grows as sqrt(n)
            # (docs/dedup.md): minutes at 16x on a shared machine, so only when asked
            [ $method = semantic ] && [ "$K" -gt 4 ] && [ -z "$SCALE_SEMANTIC" ] && continue
            m dedup-$method $W dedup $method --quiet -j$j "$IN" -o "$O/dedup-$method"
        done
        m classify-train $W classify supervised -input "$D/train.txt" -output "$O/model" \
            -dim 10 -epoch 1 -thread $j -verbose 0
        m classify-score $W classify score --quiet -j$j --model data/models/lid.176.ftz \
            --name lang_en --label __label__en "$IN" -o "$O/score"
        m tokenize $W tokenize --quiet -j$j "$IN" -o "$O/tok/"
        m tokenize-chat $W tokenize --quiet -j$j --chat "$D/chat.jsonl" -o "$O/chat/"
        printf 'seed: 1\nsequence_length: 2048\nval_fraction: 0.01\nmax_shard_size: 64M\nsources:\n  - {name: web, path: %s, weight: 1}\n' \
            "$O/tok" > "$O/mix.yaml"
        m mix $W mix --quiet "$O/mix.yaml" -o "$O/mix"
        m stats $W stats "$O/filter" "$O/dedup-minhash" "$O/score"
        rm -rf "$D/run"
        sed "s/^threads: 1/threads: $j/" "$D/run.yaml" > "$O/run.yaml"
        m run $W run --quiet "$O/run.yaml"
        rm -rf "$O" "$D/run"
    done
    rm -rf "$D"
done
