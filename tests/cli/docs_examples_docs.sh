# The command examples of docs/run.md, dedup.md, mix.md, classify.md, filter.md, cluster.md,
# annotate.md and ingest-html.md (every winnow/mpirun line of their code blocks,
# tests/lib/doc_commands.py) run
# on the repo's sample data under the names the docs use, and so do their YAML blocks
# (run.md's config, mix.md's mix, filter.md's chain, cluster.md's slurm section) and what
# tokenize.md says of its files and chat format. A synopsis line (placeholders, [options])
# runs as the concrete commands listed in `instances` below, which between them must use
# every option the line names, each of which `winnow <command> --help` must show. A doc line
# this test does not know fails it (give it instances, or a reason to skip); lines that need
# a Slurm cluster or MPI are listed as skipped by name, and annotate.md's when its test LLM
# server (tests/llm-server, a real llama.cpp) cannot start here. Exit codes other than 0 are
# stated (`rc=N command`).
set -u
W=$WINNOW
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SHARED=${WINNOW_SHARED:-$ROOT/../shared}
cd "$TMP" || exit 1
mkdir bin && ln -s "$W" bin/winnow && PATH="$TMP/bin:$PATH" || exit 1
cp -r "$ROOT/configs" "$ROOT/data" . || exit 1
failed=0
fail() { failed=$((failed + 1)); echo "FAILED: $*"; }

# inputs under the docs' names: CC-docs/ (filter.md; also INPUT... elsewhere) in 2 shards,
# train.txt / valid.txt (labelled lines), tokenized shards/web, embeddings for semantic
for i in 0 1; do winnow ingest data/sample/crawl -o CC-docs/ --shard $i/2 --quiet || exit 1; done
zstdcat CC-docs/*.jsonl.zst | python3 -c '
import json, struct, sys
docs = [json.loads(l) for l in sys.stdin]
lab = lambda i, d: "__label__%s %s\n" % ("high" if i % 2 else "low", " ".join(d["text"].split())[:2000])
open("train.txt", "w").writelines(lab(i, d) for i, d in enumerate(docs))
open("valid.txt", "w").writelines(lab(i, d) for i, d in enumerate(docs[:10]))
rows = b"".join(struct.pack("<8f", *[((i * 7 + j * 3) % 5) - 2.0 for j in range(8)]) for i in range(len(docs)))
open("emb.f32", "wb").write(rows)
head = ("{\x27descr\x27: \x27<f4\x27, \x27fortran_order\x27: False, \x27shape\x27: (%d, 8), }" % len(docs)).ljust(117) + "\n"
open("emb.npy", "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(head)) + head.encode() + rows)
' || exit 1
winnow tokenize CC-docs/ -o shards/web/ --quiet || exit 1
# page.html(.gz): the HTML of the sample crawl's Common Crawl record (ingest-html.md)
python3 -c '
import gzip, re
d = gzip.open("data/sample/crawl/whirlwind.warc.gz").read()
i = d.index(b"WARC-Type: response"); h = d.index(b"\r\n\r\n", i)
n = int(re.search(rb"Content-Length: (\d+)", d[i:h]).group(1))
page = d[h + 4:h + 4 + n].split(b"\r\n\r\n", 1)[1]
open("page.html", "wb").write(page); gzip.open("page.html.gz", "wb").write(page)' || exit 1
# annotate.md: tests/llm-server's llama.cpp on a free port, in the background, when it can
# start here (its start_server says why not); stopped when this test ends
annotate_url=""
if [ -f "$SHARED/data/models/stories260K.gguf" ]; then
    (cd "$ROOT" && . tests/llm-server/start-server.sh && start_server "" > "$TMP/server.why" &&
     echo "$SERVER_PID" > "$TMP/server.pid" && echo "$URL" > "$TMP/server.url" && wait "$SERVER_PID") > /dev/null 2>&1 &
    while [ ! -s server.url ] && kill -0 $! 2> /dev/null; do sleep 0.2; done
    annotate_url=$(cat server.url 2> /dev/null)
fi
trap '[ -s "$TMP/server.pid" ] && kill "$(cat "$TMP/server.pid")" 2> /dev/null' EXIT
printf 'sequence_length: 64\nkeep_remainder: true\nsources:\n  - {name: web, path: shards/web, weight: 1}\n' > mix.yaml
printf 'sequence_length: 64\nkeep_remainder: true\nsources:\n  - {name: web, weight: 1}\n' > mix-dir.yaml
yaml_block() { # the N-th ```yaml block of doc $1
    awk -v n="$2" '/^```yaml/ { k++; on = (k == n); next } /^```/ { on = 0 } on' "$ROOT/docs/$1"
}
# run.md's config (its `mix: {...}` elision replaced by a mix of its source)
yaml_block run.md 1 | grep -v '^mix:' > configs/doc-run.yaml
printf 'mix: {sequence_length: 64, keep_remainder: true, sources: [{name: web, weight: 1}]}\n' >> configs/doc-run.yaml
echo "adapted: run.md's config as configs/doc-run.yaml, its \`mix: {...}\` a mix of source web"
# cluster.md's config.yaml: run.md's source with one dedup split into phases (the layout's
# `03-web.dedup.mpi.sbatch`), paths from here, then cluster.md's slurm section
yaml_block run.md 1 | grep -v '^mix:' | sed -e 's#\.\./out/sample#runs/web#' -e 's#\.\./data/#data/#' \
    -e 's#config: filters/#config: configs/filters/#' -e '/^    dedup:/,/- {method: line}/d' \
    -e 's#^    classify:#    dedup: {method: minhash, split_phases: true}\n    classify:#' > config.yaml
yaml_block cluster.md 1 >> config.yaml
echo "adapted: cluster.md's config.yaml = run.md's source (paths from here, one split minhash dedup) + its slurm section"
grep -q 'split_phases: true}' config.yaml && grep -q '^slurm:' config.yaml || { echo "config.yaml:"; cat config.yaml; exit 1; }

# the concrete commands of each doc line, in order; "skip REASON" for what needs a cluster
instances() {
    case "$1" in
    "winnow run CONFIG "*) echo "winnow run configs/doc-run.yaml --dry-run
winnow run configs/doc-run.yaml --dry-run --json
winnow run configs/doc-run.yaml --parallel 2 --quiet" ;;
    "winnow dedup url|exact|minhash "*) echo "winnow dedup url CC-docs/ -o dd/url
winnow dedup exact CC-docs/ -o dd/exact -j 2 --memory 64M --keep first
winnow dedup minhash CC-docs/ -o dd/mh --bands 14 --rows 8 --ngram 5 --seed 1 --keep latest --clusters dd/mh.tsv --verify 0.5 --index-out dd/index
winnow dedup minhash CC-docs/ -o dd/mh-again --index dd/index --phase all"
        for p in sign bands merge; do for i in 0 1; do
            echo "winnow dedup minhash CC-docs/ -o dd/mh-phases --parts 2 --phase $p --shard $i/2"; done; done
        echo "winnow dedup minhash CC-docs/ -o dd/mh-phases --parts 2 --phase cluster"
        for i in 0 1; do echo "winnow dedup minhash CC-docs/ -o dd/mh-phases --parts 2 --phase remove --shard $i/2"; done ;;
    "winnow dedup line "*) echo "winnow dedup line CC-docs/ -o dd/line --bucket-docs 1000 --max-repeats 6 --memory 64M
winnow dedup line CC-docs/ -o dd/ccnet --ccnet --phase all"
        for p in "hash --shard 0/2" "hash --shard 1/2" count "apply --shard 0/2" "apply --shard 1/2"; do
            echo "winnow dedup line CC-docs/ -o dd/line-phases --phase $p"; done ;;
    "winnow dedup semantic "*) echo "winnow dedup semantic CC-docs/ -o dd/sem --k 3 --eps 0.05 --iterations 5 --seed 2 --clusters dd/sem.tsv --kmeans-sample 64 --memory 64M
winnow dedup semantic CC-docs/ -o dd/sem-npy --embeddings emb.npy --k 2
winnow dedup semantic CC-docs/ -o dd/sem-f32 --embeddings emb.f32 --dim 8 --k 2"
        for p in embed kmeans assign select apply; do echo "winnow dedup semantic CC-docs/ -o dd/sem-phases --k 3 --phase $p"; done ;;
    "winnow dedup eval "*)
        if [ -f "$SHARED/data/dedup/doc-history.jsonl.gz" ]; then
            echo "winnow dedup minhash $SHARED/data/dedup/doc-history.jsonl.gz -o dd/history --quiet
winnow dedup eval dd/history/state $SHARED/data/dedup/doc-history-pairs.tsv doc-history"
        else echo "skip needs ../shared/data/dedup"; fi ;;
    "winnow mix plan CONFIG "*) echo "winnow mix plan mix.yaml
winnow mix plan mix-dir.yaml --json --source-dir web=shards/web/" ;;
    "winnow mix CONFIG "*) echo "winnow mix mix.yaml -o mixed/ --seed 3 --quiet
winnow mix mix-dir.yaml -o mixed/ --source-dir web=shards/web/ --force
winnow mix mix.yaml -o mixed-parts/ --shard 1/2 --quiet
winnow mix mix.yaml -o mixed-parts/ --shard 0/2 --quiet
winnow mix mix.yaml -o mixed-parts/ --finish" ;;
    "winnow classify supervised "*) # small (fastText's 2M x 100 makes quantize take a minute)
        echo "winnow classify supervised -input train.txt -output model -bucket 2000 -dim 8 -epoch 2
winnow classify quantize -output model -qnorm -cutoff 1000" ;;
    "winnow classify predict "*|"winnow classify predict-prob "*|"winnow classify test "*)
        set -- $1; echo "winnow classify $3 model.bin valid.txt
winnow classify $3 model.ftz - 2 0.1
winnow classify $3 lid.176.ftz valid.txt" ;;
    "winnow classify score "*) echo "winnow classify score --model model.bin --name quality --label high --threshold 0.5 CC-docs/ -o scored/
winnow classify score --model model.ftz --name quality --top-percent 10 CC-docs/ -o scored-top/" ;;
    "winnow filter --print-config") echo "$1
winnow filter --list-filters" ;;
    "winnow filter "*|"winnow stats "*) echo "$1" ;; # as written
    "winnow run config.yaml --slurm") echo "skip submits to Slurm" ;;
    "winnow run config.yaml --slurm --scripts-only") echo "$1" ;;
    "winnow status runs/web") echo "winnow run config.yaml --slurm --scripts-only
rc=3 $1
rc=3 $1 --all
winnow run config.yaml --quiet
$1" ;; # not run yet: 3; run here, the cluster's records say done: 0
    "mpirun "*) echo "skip needs MPI on a cluster" ;;
    "winnow html2text "*) echo "winnow html2text page.html
winnow html2text --info --url https://an.wikipedia.org/wiki/Escopete page.html.gz
winnow html2text --explain page.html
winnow html2text --all --charset utf-8 page.html" ;;
    "winnow annotate "*) # the test server's config: a short prompt, a grammar-held answer
        if [ -z "$annotate_url" ]; then echo "skip needs tests/llm-server: $(cat server.why 2> /dev/null)"; else
            echo "winnow annotate --config $ROOT/tests/llm-server/edu-grammar.yaml --url $annotate_url --model stories260K --sample 4 --seed 1 --parallel 2 --timeout 60 --retries 1 --backoff 0.1 --max-backoff 1 --api-key-env WN_DOC_KEY --threshold 3 -o labels/ CC-docs/
winnow annotate --config $ROOT/tests/llm-server/yesno-grammar.yaml --url $annotate_url --model stories260K --sample 3 -o labels-yesno/ CC-docs/"; fi ;;
    "winnow dedup minhash INPUTS... -o OUT --phase remove --shard I/N") # after phases 1-4
        for p in "sign --shard 0/2" "sign --shard 1/2" "bands --shard 0/2" "bands --shard 1/2" \
                 "merge --shard 0/2" "merge --shard 1/2" cluster "remove --shard 0/2" "remove --shard 1/2"; do
            echo "winnow dedup minhash CC-docs/ -o OUT --phase $p"; done ;;
    "winnow dedup line INPUTS... -o OUT --phase apply --shard I/N")
        for p in "hash --shard 0/2" "hash --shard 1/2" count "apply --shard 0/2" "apply --shard 1/2"; do
            echo "winnow dedup line CC-docs/ -o OUT-line --phase $p"; done ;;
    esac
}

# checks after an instance ran (its stdout in out.txt)
check() {
    case "$1" in
    *"--dry-run --json") python3 -c 'import json, sys; json.load(open(sys.argv[1]))' out.txt ||
        fail "$1: not JSON" ;;
    "winnow stats annotated/ --what-if "*) # the lines of filter.md's example output, in order
        awk '/^```/ { n++; next } n == 5' "$ROOT/docs/filter.md" | sed 's/   *[0-9].*//' > want.txt
        grep -q '^what if: ' want.txt || fail "filter.md's what-if example not found"
        sed 's/   *[0-9].*//' out.txt | grep -xF -f want.txt | head -n "$(wc -l < want.txt)" | cmp -s - want.txt ||
            fail "$1: its first lines are not those of filter.md's example:
$(cat want.txt)" ;;
    "winnow html2text page.html") # the page's article, not its chrome
        grep -q 'Escopete ye un municipio' out.txt && ! grep -q 'Menú principal' out.txt || fail "$1: not the article" ;;
    "winnow html2text --info "*) grep -qi 'charset' out.txt || fail "$1: no charset shown" ;;
    "winnow annotate "*) # complete: every sampled document labelled, train.txt written
        dir=$(printf '%s\n' "$1" | sed 's/.* -o \([^ ]*\) .*/\1/')
        [ -f "$dir/annotate.done" ] && [ -s "$dir/train.txt" ] || fail "$1: not complete" ;;
    "winnow run config.yaml --slurm --scripts-only") # cluster.md's layout
        for f in $(awk '/^```/ { n++ } n == 5 && $1 ~ /^[0-9]+-.*[.]sbatch$|^tasks[.]tsv$/ { print $1 }' \
                   "$ROOT/docs/cluster.md") logs; do
            [ -e "runs/web/slurm/$f" ] || fail "$1: no runs/web/slurm/$f (cluster.md's layout)"; done ;;
    esac
}

python3 "$ROOT/tests/lib/doc_commands.py" "$ROOT"/docs/run.md "$ROOT"/docs/dedup.md \
    "$ROOT"/docs/mix.md "$ROOT"/docs/classify.md "$ROOT"/docs/filter.md "$ROOT"/docs/cluster.md \
    "$ROOT"/docs/tokenize.md "$ROOT"/docs/annotate.md "$ROOT"/docs/ingest-html.md > lines.txt || exit 1
[ "$(wc -l < lines.txt)" -ge 30 ] || { echo "only $(wc -l < lines.txt) doc lines found"; exit 1; }
echo 'This is an English sentence about the weather.' > stdin.txt
ran=0 skipped=0
while IFS="	" read -r doc line; do
    instances "$line" > inst.txt
    if [ ! -s inst.txt ]; then fail "$doc: '$line' is not known to this test: give it instances"; continue; fi
    if grep -q '^skip ' inst.txt; then
        echo "skipped ($(sed 's/^skip //' inst.txt)): $doc: $line"; skipped=$((skipped + 1)); continue
    fi
    case "$line" in *"["*) # a synopsis: its options used by its instances and in --help
        set -- $line
        help="$1 $2"; case "$2 $3" in "classify score") help="$help score" ;; esac
        sh -c "$help --help" > help.txt 2>&1
        for opt in $(printf '%s\n' "$line" | grep -oE '(^|[ [])--?[a-zA-Z][a-zA-Z0-9-]*' | tr -d ' ['); do
            grep -qE -- "(^|[^a-zA-Z-])$opt([^a-zA-Z-]|\$)" inst.txt || fail "$doc: no instance uses $opt of '$line'"
            grep -qE -- "(^|[^a-zA-Z-])$opt([^a-zA-Z-]|\$)" help.txt || fail "$doc: '$help --help' does not show $opt"
        done ;;
    esac
    while IFS= read -r cmd; do
        want=0
        case "$cmd" in rc=*) want=${cmd%% *}; want=${want#rc=}; cmd=${cmd#* } ;; esac
        ran=$((ran + 1))
        stdin=/dev/null
        case "$cmd" in *" - "*) stdin=stdin.txt ;; esac
        sh -c "$cmd" < "$stdin" > out.txt 2> err.txt
        rc=$?
        if [ "$rc" -ne "$want" ]; then
            fail "$doc: $cmd (exit $rc, not $want)"; tail -5 err.txt | sed 's/^/    /'
        fi
        check "$cmd"
    done < inst.txt
done < lines.txt

# mix.md's config block: planned on paper as written
yaml_block mix.md 1 > mix-doc.yaml
ran=$((ran + 1)); winnow mix plan mix-doc.yaml > out.txt 2> err.txt || { fail "mix.md's config: winnow mix plan"; cat err.txt; }
# filter.md's chain
yaml_block filter.md 1 > chain.yaml
ran=$((ran + 1)); winnow filter CC-docs/ -o chain/ --config chain.yaml --quiet 2> err.txt ||
    { fail "filter.md's chain: winnow filter --config"; cat err.txt; }
# concrete examples in the docs' prose (each still in its doc), and what they claim
inline() { # DOC TEXT: TEXT must be in docs/DOC
    tr '\n' ' ' < "$ROOT/docs/$1" | grep -qF -- "$2" || fail "$1 no longer says '$2': update this test"
}
inline run.md '`winnow mix plan configs/llama3.yaml` works on paper'
inline run.md '`winnow run --dry-run configs/llama3.yaml` shows the 18,441 tasks'
inline cluster.md '(`winnow run config.yaml --dry-run` lists them)'
inline classify.md '## Quantize (`winnow classify quantize -output PREFIX [-qnorm] [-qout] [-dsub N] [-cutoff N]`)'
inline annotate.md '`tools/annotate-train-score.sh --url URL --model NAME -o OUT INPUT...` runs the three steps'
ran=$((ran + 4))
winnow mix plan configs/llama3.yaml > out.txt 2> err.txt || { fail "winnow mix plan configs/llama3.yaml"; cat err.txt; }
winnow run --dry-run configs/llama3.yaml 2> err.txt | grep -q ' 18441 tasks ' ||
    fail "winnow run --dry-run configs/llama3.yaml: not 18,441 tasks (run.md)"
winnow run config.yaml --dry-run > out.txt 2> err.txt || { fail "winnow run config.yaml --dry-run"; cat err.txt; }
winnow classify quantize -output model -qnorm -dsub 2 -cutoff 1000 > out.txt 2> err.txt ||
    { fail "winnow classify quantize -dsub 2"; cat err.txt; }
# -qout "needs at least 256 labels, as in fastText" (classify.md): the 2-label model is refused
winnow classify quantize -output model -qout > out.txt 2> err.txt
[ $? -eq 1 ] && grep -q 'at least 256' err.txt || { fail "classify quantize -qout with 2 labels"; cat err.txt; }

# tokenize.md: the C API example compiles (syntax and types) against its headers, and
# <|eot_id|> is the id its comment says
awk '/^```c/ { on = 1; next } /^```/ { on = 0 } on' "$ROOT/docs/tokenize.md" > api-body.c
if command -v cc > /dev/null; then
    { printf '#include "tokenize/tokenizer.h"\nvoid example(const char *text, size_t len);\n'
      printf 'void example(const char *text, size_t len)\n{\n    wn_buf buf = WN_BUF_INIT;\n'
      cat api-body.c; printf '    (void)n; (void)eot;\n}\n'; } > api.c
    ran=$((ran + 1))
    cc -std=c11 -Wall -Wextra -Werror -fsyntax-only -I"$ROOT" api.c 2> err.txt ||
        { fail "tokenize.md's C API example does not compile"; cat err.txt; }
else
    echo "skipped (no C compiler): tokenize.md's C API example"; skipped=$((skipped + 1))
fi
eot=$(sed -n 's#.*"<|eot_id|>");.*/\* \([0-9]*\) \*/.*#\1#p' api-body.c)
[ -n "$eot" ] && [ "$(printf '<|eot_id|>' | winnow encode --special)" = "$eot" ] || fail "tokenize.md: <|eot_id|> is not '$eot'"
# tokenize.md's training files: the names of each format, -o DIR/, --eos
have() { for f in "$@"; do [ -e "$f" ] || fail "tokenize.md: no '$f' after: $cmd"; done; }
cmd="winnow tokenize CC-docs/ -o tf/web --eos --quiet"; $cmd; have tf/web.bin tf/web.idx tf/web.stats.json tf/web.done
cmd="winnow tokenize CC-docs/ -o tf/llmc --format llmc --quiet"; $cmd; have tf/llmc_000000.bin
cmd="winnow tokenize CC-docs/ -o tf/dt --format datatrove --quiet"; $cmd; have tf/dt.ds tf/dt.ds.index tf/dt.ds.metadata
cmd="winnow tokenize CC-docs/ -o tf/dir/ --quiet"; $cmd; have tf/dir/tokenize-00000.bin tf/dir/tokenize-00000.idx
ran=$((ran + 4))
# tokenize.md's chat data: the rendering, the masks' files, the rejection message
python3 -c '
import json
c = [[("system", "Be brief. "), ("user", "What is 2+2?"), ("assistant", " 4")],
     [("user", "Hi"), ("assistant", "Hello!")], [("wizard", "x")]]
open("sft.jsonl", "w").writelines(json.dumps({"messages": [{"role": r, "content": t} for r, t in m]}) + "\n" for m in c)
open("sft.want", "w").write("".join("<|begin_of_text|>" + "".join("<|start_header_id|>%s<|end_header_id|>\n\n%s<|eot_id|>"
                                    % (r, t.strip()) for r, t in m) for m in c[:2]))' || exit 1
cmd="winnow tokenize --chat sft.jsonl -o chat/sft --format llmc"; $cmd 2> err.txt; have chat/sft_000000.bin chat/sft_000000.mask
grep -qF "'sft.jsonl:3': chat.unknown_role: message 0: unknown role 'wizard'" err.txt ||
    { fail "tokenize.md: the unknown role message differs:"; cat err.txt; }
python3 -c 'import struct, sys; b = open(sys.argv[1], "rb").read()[1024:]
print(" ".join(str(i) for i in struct.unpack("<%dI" % (len(b) // 4), b)))' chat/sft_000000.bin |
    winnow decode | python3 -c 'import sys; sys.exit(sys.stdin.read().rstrip("\n") != open("sft.want").read())' ||
    fail "tokenize.md: the chat rendering is not the documented one"
cmd="winnow tokenize --chat sft.jsonl -o chat/mg --quiet"; $cmd 2> /dev/null; have chat/mg_mask.bin chat/mg_mask.idx
cmd="winnow tokenize --chat sft.jsonl -o chat/dt --format datatrove --quiet"; $cmd 2> /dev/null; have chat/dt.ds.loss
ran=$((ran + 3))
# annotate.md's three steps in one script, then again (it resumes: nothing is redone); --bin 0
# makes every label high, so that the six documents train a classifier with that label
if [ -n "$annotate_url" ]; then
    for k in 1 2; do
        ran=$((ran + 1))
        "$ROOT/tools/annotate-train-score.sh" --url "$annotate_url" --model stories260K -o ats \
            --config "$ROOT/tests/llm-server/edu-grammar.yaml" --sample 6 --bin 0 --parallel 2 CC-docs/ > out.txt 2> err.txt ||
            { fail "tools/annotate-train-score.sh (run $k)"; tail -5 err.txt; }
    done
    [ -s ats/model.bin ] && ls ats/scored/*.jsonl.zst > /dev/null 2>&1 || fail "tools/annotate-train-score.sh: no model or scores"
else
    echo "skipped (needs tests/llm-server): annotate.md's tools/annotate-train-score.sh"; skipped=$((skipped + 1))
fi
# every stats.json those commands wrote reconciles, stage by stage (docs in = kept +
# removed by reason + errors; tests/lib/stats_reconcile.py)
python3 "$ROOT/tests/lib/stats_reconcile.py" . || fail "stats do not reconcile"
echo "docs examples: $ran run, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
