# winnow run --dry-run prints phases, tasks and outputs without running anything; a bad
# config is refused (exit 2) with the key and line, before any work starts.
set -u
W=$WINNOW
REPO=$(pwd)
cat > "$TMP/ok.yaml" <<YAML
workdir: out
parallel: 2
shards: 3
sources:
  - name: web
    inputs: [$REPO/data/sample/crawl]
    ingest: {max-payload: 8M}
    dedup: {method: minhash, split_phases: true}
mix:
  sources:
    - {name: code, path: $REPO/tests/data/mix/code, weight: 1}
YAML
out=$($W run --dry-run "$TMP/ok.yaml") || { echo "dry run failed"; exit 1; }
echo "$out" | grep -q "8 phases, 20 tasks" || { echo "$out"; exit 1; }
echo "$out" | grep -q "winnow ingest --max-payload 8M -o $TMP/out/web/ingest -j 1 --quiet --shard 2/3" || { echo "$out"; exit 1; }
echo "$out" | grep -q "phase 5/8 web.dedup.cluster: 1 task" || { echo "$out"; exit 1; }
echo "$out" | grep -q "$TMP/out/web/ingest/\*.jsonl.zst" || { echo "glob input"; exit 1; }
[ ! -e "$TMP/out" ] || { echo "--dry-run wrote files"; exit 1; }
$W run --dry-run --json "$TMP/ok.yaml" | grep -q '"done": ' || { echo "json plan"; exit 1; }

# Bad configs: exit 2, "file:line:col: key: problem", nothing created.
check() { # yaml expected-substring
    printf '%s\n' "$1" > "$TMP/bad.yaml"
    err=$($W run "$TMP/bad.yaml" 2>&1 >/dev/null); rc=$?
    [ $rc -eq 2 ] || { echo "exit $rc for: $1"; exit 1; }
    echo "$err" | grep -qF -- "$2" || { echo "expected '$2' in: $err"; exit 1; }
    [ ! -e "$TMP/w" ] || { echo "a bad config created files"; exit 1; }
}
check "workdir: w
sourcez: []" "bad.yaml':2:1: sourcez: unknown key"
check "workdir: w
threads: many
sources: [{name: a, inputs: $REPO/data/sample/crawl}]" "bad.yaml':2:10: threads: expected a whole number, got 'many'"
check "workdir: w
sources:
  - name: a
    inputs: [$REPO/data/sample/none.warc.gz]" "bad.yaml':4:13: sources[0].inputs: no such file"
check "workdir: w
sources:
  - {name: a, inputs: $REPO/data/sample/crawl}
mix:
  sources:
    - {name: x, path: $REPO/tests/data/mix/web, weight: 0.7}
    - {name: y, path: $REPO/tests/data/mix/code, weight: 0.2}" "mix.sources: weights sum to 0.9, not 1"
check "workdir: w
sources:
  - {name: a, inputs: $REPO/data/sample/crawl}
mix:
  budget: 200K
  sources:
    - {name: x, path: $REPO/tests/data/mix/web, weight: 1}" "bad.yaml':7:1: mix.sources[0]: source 'x' would need 8 epochs"
check "workdir: w
sources:
  - {name: a, inputs: $REPO/data/sample/crawl, ingest: {formats: warc}}" "sources[0].ingest.formats: 'ingest' has no option --formats"

# The Llama 3 recipe: its data lives elsewhere, so a dry run plans it with warnings, and a
# real run refuses to start.
out=$($W run --dry-run "$REPO/configs/llama3.yaml" 2>"$TMP/err") || { cat "$TMP/err"; exit 1; }
echo "$out" | grep -q "27 phases, 18441 tasks" || { echo "$out" | head -3; exit 1; }
echo "$out" | grep -q "phase 26/27 mix: 1024 tasks, -j 16, after general.tokenize, math.tokenize" || exit 1
echo "$out" | grep -q "phase 27/27 mix.finish: 1 task, -j 16, after mix$" || exit 1
grep -q "warning: .*llama3.yaml':19:13: sources\[0\].inputs: no such file '/data/commoncrawl'" "$TMP/err" || { cat "$TMP/err"; exit 1; }
$W run "$REPO/configs/llama3.yaml" 2>/dev/null; [ $? -eq 2 ] || { echo "llama3 without data must exit 2"; exit 1; }

# one_task_config NAME STAGE-LINES: a one-shard web source on the small sample crawl
one_task_config() {
    printf 'workdir: %s\nparallel: 1\nshards: 1\nsources:\n  - name: web\n    inputs: [%s]\n    ingest: {}\n%s\n' \
        "$1" "$REPO/data/sample/crawl/whirlwind.warc.gz" "$2" > "$TMP/$1.yaml"
}

# A task that fails: the run stops, names the task and its log, exits 1; fixing the cause
# and running again resumes after the tasks that were complete.
printf 'filters: [{name: nosuchfilter}]\n' > "$TMP/chain.yaml"
one_task_config fail "    filter: {config: chain.yaml}"
$W run "$TMP/fail.yaml" >/dev/null 2>"$TMP/err"; rc=$?
[ $rc -eq 1 ] || { echo "failed task: exit $rc"; cat "$TMP/err"; exit 1; }
grep -q "task web.filter 0/1 failed with exit code 2; see '$TMP/fail/.logs/web.filter-00000.log'" "$TMP/err" || { cat "$TMP/err"; exit 1; }
printf 'filters: [{name: unicode}]\n' > "$TMP/chain.yaml"
$W run "$TMP/fail.yaml" >/dev/null 2>"$TMP/err" || { cat "$TMP/err"; exit 1; }
grep -q "1 of 2 tasks already complete, resuming" "$TMP/err" || { cat "$TMP/err"; exit 1; }

# A stage that leaves no documents: the next one has nothing to do (warned, completed).
one_task_config empty '    filter: {where: ["no.such.signal >= 1"]}
    dedup: {method: exact}'
$W run "$TMP/empty.yaml" >/dev/null 2>"$TMP/err" || { cat "$TMP/err"; exit 1; }
grep -q "web.dedup 0/1: the earlier phase left no documents" "$TMP/err" || { cat "$TMP/err"; exit 1; }
exit 0
