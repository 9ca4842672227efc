# winnow run is exactly-once under a real kill: the run is killed (SIGKILL, no clean-up) at
# several points, resumed each time, and must end with the same bytes as one clean run.
set -u
W=$WINNOW
REPO=$(pwd)
cat > "$TMP/run.yaml" <<YAML
workdir: out
parallel: 1
threads: 1
shards: 6
sources:
  - name: web
    inputs: [$REPO/data/sample/crawl]
    ingest: {}
  - name: web2
    inputs: [$REPO/data/sample/crawl/python311-docs-wget.warc.gz]
    ingest: {format: warc}
mix:
  seed: 9
  sequence_length: 512
  val_fraction: 0.05
  max_shard_size: 32K
  sources:
    - {name: web, path: $REPO/tests/data/mix/web, weight: 0.5, max_epochs: 2}
    - {name: code, path: $REPO/tests/data/mix/code, weight: 0.3, max_epochs: 2}
    - {name: multilingual, path: $REPO/tests/data/mix/multilingual, weight: 0.2, max_epochs: 3}
YAML
mkdir "$TMP/clean" "$TMP/killed"
cp "$TMP/run.yaml" "$TMP/clean/"; cp "$TMP/run.yaml" "$TMP/killed/"
(cd "$TMP/clean" && $W run --quiet run.yaml) || { echo "clean run failed"; exit 1; }
total=$(ls "$TMP/clean/out/.done" | wc -l)
[ "$total" -eq 19 ] || { echo "expected 19 tasks, got $total"; exit 1; }

# Kill after 1, 4, 8, 12, 15 and 18 completed tasks (15, 18: mix parts), resuming each time.
cd "$TMP/killed"
kills=0
for at in 1 4 8 12 15 18; do
    $W run --quiet run.yaml &
    pid=$!
    while :; do
        n=$(ls out/.done 2>/dev/null | wc -l)
        [ "$n" -ge "$at" ] && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.005
    done
    if kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
    wait $pid 2>/dev/null
    sleep 0.05  # children die with the executor (PR_SET_PDEATHSIG)
done
[ "$kills" -ge 2 ] || { echo "the run finished before it could be killed ($kills kills)"; exit 1; }
done_before=$(ls out/.done | wc -l)
$W run run.yaml 2>"$TMP/resume.err" >/dev/null || { cat "$TMP/resume.err"; exit 1; }
[ "$done_before" -eq 19 ] || grep -q 'resuming' "$TMP/resume.err" || { echo "no resume message"; exit 1; }

# Same files, same bytes (statistics hold timings; logs and records are not outputs).
cd "$TMP"
(cd clean/out && find . -type f ! -path './.logs/*' ! -path './.done/*' ! -name '*.stats.json' | sort) > clean.list
(cd killed/out && find . -type f ! -path './.logs/*' ! -path './.done/*' ! -name '*.stats.json' | sort) > killed.list
cmp -s clean.list killed.list || { echo "different files:"; diff clean.list killed.list; exit 1; }
grep -q 'mix/train-00000.bin' clean.list || { echo "no training shards"; exit 1; }
grep -q 'web/ingest/ingest-00000-0000.jsonl.zst' clean.list || { echo "no ingest outputs"; exit 1; }
while read -r f; do
    cmp -s "clean/out/$f" "killed/out/$f" || { echo "differs after kill+resume: $f"; exit 1; }
done < clean.list
# a complete run is not redone
before=$(stat -c %Y killed/out/mix/train-00000.bin)
(cd killed && $W run run.yaml 2>&1 | grep -q 'all 19 tasks already complete') || { echo "rerun did work"; exit 1; }
[ "$(stat -c %Y killed/out/mix/train-00000.bin)" = "$before" ] || { echo "rerun rewrote"; exit 1; }
echo "killed $kills times, resumed, identical"
