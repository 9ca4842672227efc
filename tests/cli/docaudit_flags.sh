# Flags a new user takes from the help and README must do what they say (docs/audit.md,
# seventh session): a modifier flag alone is refused instead of silently ignored (`run
# --scripts-only` without --slurm used to run the whole pipeline locally), `ingest --source`
# names JSONL documents too, and `tokenize` does not call a prefix complete for another
# --format.
set -u
W=$WINNOW
fail() { echo "$*"; exit 1; }
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"

# run: --scripts-only needs --slurm, --json needs --dry-run; nothing may run
cp -r "$ROOT/configs" "$ROOT/data" "$TMP/" 2>/dev/null
cd "$TMP" || exit 1
$W run configs/finetune.yaml --scripts-only 2>err; rc=$?
[ $rc -eq 2 ] || fail "run --scripts-only without --slurm: exit $rc, expected 2"
grep -q -- '--scripts-only needs --slurm' err || fail "no reason: $(cat err)"
[ ! -e out/finetune ] || fail "run --scripts-only without --slurm ran the pipeline"
$W run configs/finetune.yaml --json >/dev/null 2>err; rc=$?
[ $rc -eq 2 ] || fail "run --json without --dry-run: exit $rc, expected 2"
[ ! -e out/finetune ] || fail "run --json without --dry-run ran the pipeline"
$W run configs/finetune.yaml --dry-run --json | grep -q '"phases"' || fail "--dry-run --json"

# ingest --source: every document, JSONL included (it was ignored for JSONL)
printf '{"id":"a","body":"first text","source":"old"}\n{"id":"b","body":"second text"}\n' > in.jsonl
$W ingest --quiet in.jsonl --text-field body --source mysrc -o ing || fail "ingest"
n=$(zstdcat ing/*.jsonl.zst | grep -c '"source":"mysrc"')
[ "$n" -eq 2 ] || fail "--source named $n of 2 JSONL documents"
$W ingest --quiet in.jsonl --text-field body -o ing2 || fail "ingest"
zstdcat ing2/*.jsonl.zst | grep -q '"source":"old"' || fail "without --source a record keeps its own"

# tokenize: options of another mode are refused, not ignored
printf '{"id":"a","text":"Hello world"}\n' > t.jsonl
for a in "--train-on last" "--pad-id 5" "--chat --pad-id 5" "--shard-tokens 1000"; do
    # shellcheck disable=SC2086
    $W tokenize --quiet $a t.jsonl -o tok/x 2>err; rc=$?
    [ $rc -eq 2 ] || fail "tokenize $a: exit $rc, expected 2"
    grep -q 'applies to' err || fail "tokenize $a: $(cat err)"
done
$W tokenize --quiet --format llmc --shard-tokens 1000 t.jsonl -o tok/l || fail "llmc --shard-tokens"
# another --format under a complete prefix: an error naming both, not "already complete"
$W tokenize --quiet t.jsonl -o tok/web || fail "tokenize"
$W tokenize --quiet --format llmc t.jsonl -o tok/web 2>err; rc=$?
[ $rc -eq 2 ] || fail "llmc over a megatron prefix: exit $rc, expected 2"
grep -q "records a megatron output" err || fail "no reason: $(cat err)"
[ ! -e tok/web_000000.bin ] || fail "wrote llmc files"
$W tokenize t.jsonl -o tok/web 2>&1 | grep -q 'already complete' || fail "same format: skip"
exit 0
