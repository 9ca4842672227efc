# winnow run --slurm through a real single-node Slurm (slurmctld + slurmd + munged started
# here) on two sources: WARC ingest -> filter -> tokenize as job arrays (3 tasks each, array
# cap 2: two arrays per phase, each phase after the previous one's arrays), and
# MinHash dedup whose global phases run as one MPI job (winnow-mpi, 3 ranks) followed by the
# removal array, which waits for it (afterok), and Llama 3 line dedup the same way (its hash
# and count phases as the MPI job). The outputs equal the local run's byte for
# byte; a failing task is reported by `winnow status` with its log, and running the same
# command again resubmits only it.
# Skipped (exit 77, with the reason) when Slurm cannot run on this machine.
set -u
W=$WINNOW
DATA=$WINNOW_SHARED/data/warc
[ -d "$DATA" ] || { echo "no shared data at '$DATA'"; exit 77; }
. "$(dirname "$0")/../cluster/slurm-local.sh"
slurm_local_up "$TMP/slurm" || { echo "$SLURM_LOCAL_SKIP"; exit 77; }
trap 'slurm_local_down' EXIT INT TERM

fail() { echo "$*"; [ -n "${KEEP:-}" ] && cp -r "$TMP/run" "$KEEP"; for l in "$TMP"/run/slurm/slurm/logs/*.log; do [ -f "$l" ] && { echo "== $l"; cat "$l"; }; done; exit 1; }

# Wait for every task of the run in $1 to leave the queue (at most ~3 minutes).
wait_run() {
    i=0
    while [ $i -lt 360 ]; do
        [ -z "$(squeue -h --me 2>/dev/null)" ] && return 0
        sleep 0.5; i=$((i + 1))
    done
    fail "jobs still queued after 3 minutes: $(squeue --me)"
}

mkdir -p "$TMP/run/in" "$TMP/run/text"
cp "$DATA"/wget/*.warc.gz "$DATA"/resiliparse/warcfile.warc.gz "$DATA"/dolma/sample-0000.warc.gz \
   "$TMP/run/in/"
zcat "$WINNOW_SHARED/data/dedup/copyright.jsonl.gz" >"$TMP/cr.jsonl"
split -n l/5 -d "$TMP/cr.jsonl" "$TMP/run/text/cr-"
zcat "$WINNOW_SHARED/data/dedup/doc-history.jsonl.gz" >"$TMP/run/text/dh-00"
# A winnow that fails shard 1 of ingest, to stand in for a crashed task.
cat >"$TMP/run/flaky-winnow" <<EOF
#!/bin/sh
case " \$* " in *" ingest "*" --shard 1/3 "*) echo "flaky: refusing shard 1" >&2; exit 3 ;; esac
exec "$W" "\$@"
EOF
chmod +x "$TMP/run/flaky-winnow"
# The dedup source only where MPI is (tests/cli/cluster_mpi.sh says why when it is not).
MPI_EXE=$(dirname "$W")/winnow-mpi
if command -v mpirun >/dev/null 2>&1 && [ -x "$MPI_EXE" ]; then
    # under ASan: OpenMPI's allocations outlive MPI_Finalize (see the suppressions file)
    LSAN="LSAN_OPTIONS=suppressions=$(pwd)/tests/cluster/lsan-openmpi.supp:fast_unwind_on_malloc=0"
    LAUNCH="mpirun --oversubscribe -x $LSAN"
    [ "$(id -u)" = 0 ] && LAUNCH="$LAUNCH --allow-run-as-root"
    TEXT='  - name: text
    inputs: [text]
    dedup: {method: minhash, split_phases: true}
  - name: lines
    inputs: [text]
    dedup: {method: line, split_phases: true}
'
    MPI="  mpi: {ranks: 3, launcher: \"$LAUNCH\", exe: \"$MPI_EXE\"}
"
else
    echo "note: no winnow-mpi here, the MPI dedup step is not exercised"
    TEXT="" MPI=""
fi
config() { # workdir, extra slurm lines
    printf 'workdir: %s\nparallel: 2\nthreads: 1\nshards: 3\nsources:\n' "$1"
    printf '  - name: web\n    inputs: [in]\n    ingest: {format: warc}\n    filter: {}\n'
    printf '    tokenize: {}\n%s' "$TEXT"
    printf 'mix: {sequence_length: 64, max_shard_size: 32K, sources: [{name: web, weight: 1}]}\n'
    printf 'slurm:\n  time: "00:05:00"\n  mem: 300M\n  max_array_size: 2\n%s%s' "$MPI" "${2:-}"
}
cd "$TMP/run" || exit 1
config local >local.yaml
config slurm "  exe: $TMP/run/flaky-winnow
" >flaky.yaml
config slurm >slurm.yaml
$W run --quiet local.yaml || fail "local run failed"

# First submission: the cap of 2 splits the 3 tasks into two arrays; shard 1 fails.
out=$($W run flaky.yaml --slurm) || fail "submit failed: $out"
echo "$out" | grep -q "submitted 'web.ingest': 2 of 2 tasks" || fail "expected an array of 2: $out"
echo "$out" | grep -q "submitted 'web.ingest': 1 of 1 tasks" || fail "expected an array of 1: $out"
if [ -n "$MPI" ]; then
    echo "$out" | grep -q "submitted 'text.dedup.mpi': 1 of 1 tasks as job [0-9]*$" || fail "no MPI job: $out"
    echo "$out" | grep -q "submitted 'text.dedup.remove': 2 of 2 tasks as job [0-9]* after [0-9]" ||
        fail "the removal array must wait for the MPI job: $out"
    grep -q '^mpirun .*winnow-mpi.* dedup minhash ' slurm/slurm/0*-text.dedup.mpi.sbatch || fail "MPI script"
    # line dedup: its hash and count phases are one MPI job, the removal an array after it
    echo "$out" | grep -q "submitted 'lines.dedup.mpi': 1 of 1 tasks as job [0-9]*$" || fail "no line MPI job: $out"
    echo "$out" | grep -q "submitted 'lines.dedup.apply': 2 of 2 tasks as job [0-9]* after [0-9]" ||
        fail "the line removal must wait for its MPI job: $out"
    grep -q '^mpirun .*winnow-mpi.* dedup line ' slurm/slurm/*-lines.dedup.mpi.sbatch || fail "line MPI script"
fi
[ -f slurm/slurm/01-web.ingest.part1.sbatch ] && [ -f slurm/slurm/01-web.ingest.part2.sbatch ] ||
    fail "scripts not written beside the outputs"
wait_run
st=$($W status slurm); rc=$?
[ $rc -eq 3 ] || fail "status must exit 3 while a task failed (got $rc): $st"
echo "$st" | grep -Eq '^web.ingest +2 +0 +0 +1 +0 +3$' || fail "expected 2 done 1 failed: $st"
# Slurm cancelled the phases after it (their afterok can never be met): none started.
echo "$st" | grep -Eq '^web.filter +0 +0 +0 +0 +3 +3$' || fail "filter must not have run: $st"
echo "$st" | grep -Eq '^web.tokenize +0 +0 +0 +0 +3 +3$' || fail "tokenize must not have run: $st"
echo "$st" | grep -Eq '^mix +0 +0 +0 +0 +3 +3$' || fail "the mix parts must not have run: $st"
echo "$st" | grep -q '^failed  *web.ingest 1: exit 3' || fail "failed task not listed: $st"
if [ -n "$MPI" ]; then
    echo "$st" | grep -Eq '^text.dedup.mpi +1 +0 +0 +0 +0 +1$' || fail "MPI job not done: $st"
    echo "$st" | grep -Eq '^text.dedup.remove +3 +0 +0 +0 +0 +3$' || fail "removal not done: $st"
    echo "$st" | grep -Eq '^lines.dedup.mpi +1 +0 +0 +0 +0 +1$' || fail "line MPI job not done: $st"
    echo "$st" | grep -Eq '^lines.dedup.apply +3 +0 +0 +0 +0 +3$' || fail "line removal not done: $st"
fi
log=$(echo "$st" | sed -n 's/^ *log: //p')
grep -q 'flaky: refusing shard 1' "$log" || fail "log '$log' lacks the task's stderr"

# Same command without the flaky binary: only the failed task is submitted.
out=$($W run slurm.yaml --slurm) || fail "resubmit failed: $out"
echo "$out" | grep -q "submitted 'web.ingest': 1 of 2 tasks as job [0-9]*$" || fail "expected only task 1: $out"
echo "$out" | grep -q "submitted 'web.filter': 2 of 2 tasks as job [0-9]* after [0-9]*$" ||
    fail "filter must wait for the resubmitted ingest task: $out"
echo "$out" | grep -q "submitted 'web.tokenize': 1 of 1 tasks as job [0-9]* after [0-9]*:[0-9]*$" ||
    fail "tokenize must wait for both filter arrays: $out"
echo "$out" | grep -q "submitted 'mix.finish': 1 of 1 tasks as job [0-9]* after [0-9]*:[0-9]*$" ||
    fail "the mix's finish must wait for both arrays of mix parts: $out"
[ "$(echo "$out" | grep -c submitted)" -eq 8 ] || fail "expected ingest task 1, filter, tokenize, mix: $out"
wait_run
st=$($W status slurm) || fail "status after resubmission: $st"
echo "$st" | grep -Eq '^mix +3 +0 +0 +0 +0 +3$' && echo "$st" | grep -Eq '^mix.finish +1 +0 +0 +0 +0 +1$' ||
    fail "status must show the mix's 3 parts and its finish done: $st"
out=$($W run slurm.yaml --slurm) || fail "third run failed"
echo "$out" | grep -q "'web.ingest' is complete" || fail "complete run resubmitted: $out"

# While a submission is still queued (held here), a second one is refused.
config held '  sbatch_args: ["--hold"]
' >held.yaml
$W run held.yaml --slurm >/dev/null || fail "held submission failed"
$W run held.yaml --slurm 2>err.txt && fail "a second submission while the first is queued must fail"
grep -q 'is still queued' err.txt || fail "refusal does not say why: $(cat err.txt)"
$W status held | grep -Eq '^web.ingest +0 +0 +3 ' || fail "held tasks are not queued: $($W status held)"
scancel --me
wait_run

# Byte for byte: every data file of the local run, the same under Slurm.
for dir in web/ingest web/filter web/tokenize ${TEXT:+text/dedup lines/dedup}; do
    n=0
    for f in local/$dir/*.jsonl.zst local/$dir/*.bin local/$dir/*.idx; do
        [ -e "$f" ] || continue
        cmp "$f" "slurm/$dir/${f##*/}" || fail "'$dir/${f##*/}' differs from the local run"
        n=$((n + 1))
    done
    [ $n -ge 3 ] || fail "expected outputs of 3 shards in $dir, found $n"
    [ "$(ls slurm/$dir/*.jsonl.zst slurm/$dir/*.bin slurm/$dir/*.idx 2>/dev/null | wc -l)" -eq $n ] ||
        fail "different output files in $dir"
done
# the mix, spread over 3 Slurm tasks and finished by a fourth: the local run's bytes
[ "$(ls local/mix/train-*.bin | wc -l)" -ge 3 ] || fail "want a mix of 3 train shards or more"
for f in local/mix/*.bin local/mix/*.idx; do cmp "$f" "slurm/mix/${f##*/}" || fail "mix: '$f' differs"; done
[ "$(ls slurm/mix)" = "$(ls local/mix)" ] || fail "the mix's files differ from the local run's"
grep -v '"config\|"prefix"' local/mix/manifest.json > m.local # their config and workdir differ
grep -v '"config\|"prefix"' slurm/mix/manifest.json | cmp - m.local || fail "mix manifests differ"
[ -z "$TEXT" ] || cmp local/text/dedup/state/remove.wrm slurm/text/dedup/state/remove.wrm ||
    fail "the MPI removal set differs from the local one"
exit 0
