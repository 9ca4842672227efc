# The command lines README.md shows (its fenced `sh` blocks: quick start and every stage)
# run as written, in order, on the repo's sample data under the names README uses
# (CC-MAIN-*.warc.gz = data/sample/crawl, sft.jsonl = data/sample/chat, ...), each failing
# the test when it exits non-zero. Lines that need a Slurm cluster, MPI or the model server
# are listed as skipped by name; lines that are not winnow commands (make) likewise.
# `[--dry-run]` runs both ways; `classify supervised` gets a smaller model (said below) so
# that quantize takes a second. A README example that stops working fails here.
set -u
W=$WINNOW
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$TMP" || exit 1
mkdir bin && ln -s "$W" bin/winnow && PATH="$TMP/bin:$PATH" || exit 1

# inputs under README's names
cp -r "$ROOT/configs" "$ROOT/data" . && mkdir -p tests && cp -r "$ROOT/tests/data" tests/ || exit 1
i=0
for f in data/sample/crawl/*.warc.gz; do i=$((i + 1)); cp "$f" "CC-MAIN-$i.warc.gz"; done
cp data/sample/chat/python-faq.jsonl sft.jsonl
python3 - <<'PY' || exit 1
import gzip, json
# a Dolma-style dump whose text is in "content"; stdin for predict-prob
with open("dump.jsonl", "w") as f:
    for i, t in enumerate(["Ceci est une phrase en français, écrite pour l'exemple.",
                           "This is an English sentence about the weather in the valley."]):
        f.write(json.dumps({"id": str(i), "content": t}) + "\n")
open("lid.txt", "w").write("This is an English sentence.\n")
PY
zstd -q dump.jsonl -o dump.jsonl.zst || exit 1
echo 'This is a test sentence.' | winnow encode > ids.txt || exit 1

# lines of README's ```sh blocks: continuations joined, comments cut (outside quotes)
python3 "$ROOT/tests/lib/doc_commands.py" --sh "${README:-$ROOT/README.md}" > lines.txt || exit 1
[ "$(wc -l < lines.txt)" -ge 25 ] || { echo "only $(wc -l < lines.txt) README lines found"; exit 1; }

# what the examples need that a README reader brings: labelled lines, a mix of the shards
after() { # commands to run after README line $1 has run
    case "$1" in
    "winnow ingest CC-MAIN-"*)
        zstdcat docs/*.jsonl.zst | head -20 > docs.jsonl
        zstdcat docs/*.jsonl.zst | python3 -c '
import json, sys
for i, l in enumerate(sys.stdin):
    t = " ".join(json.loads(l)["text"].split())[:2000]
    print("__label__%s %s" % ("high" if i % 2 else "low", t))' > train.txt ;;
    "winnow tokenize docs/ -o shards/web")
        printf 'sequence_length: 64\nkeep_remainder: true\nsources:\n  - {name: web, path: shards/web, weight: 1}\n' > mix.yaml ;;
    esac
}

ran=0 skipped=0 failed=0
while IFS= read -r line; do
    case "$line" in
    *--slurm*) why="needs a Slurm cluster" ;;
    "winnow status "*) why="reports on a --slurm run" ;;
    *"winnow annotate "*|*annotate-train-score.sh*) why="needs the model server" ;;
    mpirun*) why="needs MPI on a cluster" ;;
    winnow*|*"| winnow "*) why="" ;;
    *) why="not a winnow command" ;;
    esac
    if [ -n "$why" ]; then
        echo "skipped ($why): $line"; skipped=$((skipped + 1)); continue
    fi
    variants="$line"
    case "$line" in *" [--dry-run]"*)
        variants="${line%% \[--dry-run\]*} --dry-run${line#*\[--dry-run\]}
${line%% \[--dry-run\]*}${line#*\[--dry-run\]}" ;;
    esac
    while IFS= read -r cmd; do
        ran=$((ran + 1))
        # fastText's defaults (2M buckets x 100 dims) make quantize's product quantizer
        # take a minute: the same command on a smaller model (later arguments win)
        case "$cmd" in "winnow classify supervised "*)
            cmd="$cmd -bucket 2000 -dim 8"; echo "scaled down: $cmd" ;;
        esac
        stdin=/dev/null
        case "$cmd" in *" - "*|*" -") stdin=lid.txt ;; esac
        if ! sh -c "$cmd" < "$stdin" > out.txt 2> err.txt; then
            failed=$((failed + 1)); echo "FAILED: $cmd"; tail -5 err.txt | sed 's/^/    /'
        fi
        case "$cmd" in "echo 'This is a test sentence.' | winnow encode")
            [ "$(cat out.txt)" = "2028 374 264 1296 11914 627" ] ||
                { failed=$((failed + 1)); echo "FAILED: $cmd printed '$(cat out.txt)'"; } ;;
        esac
    done <<VARIANTS
$variants
VARIANTS
    after "$line"
done < lines.txt
# every stats.json those commands wrote reconciles, stage by stage (docs in = kept +
# removed by reason + errors): a count a README command gets wrong fails here
python3 "$ROOT/tests/lib/stats_reconcile.py" . || { failed=$((failed + 1)); echo "FAILED: stats do not reconcile"; }
echo "README examples: $ran run, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
