# winnow-mpi (mpirun -np 2..4 --oversubscribe) against the single-process `winnow dedup`
# on two shared dedup corpora (Debian copyright files: shared license texts; README
# histories: chains of edits) cut into 8 files: the removal set and clusters (MinHash) and
# the line set (line dedup) are the same files byte for byte, and the per-shard removal
# phase run on the MPI state writes the same documents. Skipped (exit 77, with the
# reason) when MPI or winnow-mpi is not available.
set -u
W=$WINNOW
MPI=$(dirname "$W")/winnow-mpi
D=$WINNOW_SHARED/data/dedup
[ -d "$D" ] || { echo "no shared data at '$D'"; exit 77; }
command -v mpirun >/dev/null 2>&1 || { echo "mpirun not installed (run tools/install-test-deps.sh)"; exit 77; }
[ -x "$MPI" ] || { echo "'$MPI' not built: mpicc missing (run tools/install-test-deps.sh)"; exit 77; }
ROOT=""
[ "$(id -u)" = 0 ] && ROOT=--allow-run-as-root
# OpenMPI's own allocations outlive MPI_Finalize; keep LeakSanitizer on for ours only (in
# the ranks alone: the full unwinding it needs is slow).
LSAN="LSAN_OPTIONS=suppressions=$(pwd)/tests/cluster/lsan-openmpi.supp:fast_unwind_on_malloc=0"
mpi() { np=$1; shift; mpirun -np "$np" --oversubscribe $ROOT -x "$LSAN" "$MPI" "$@" -j 1 2>"$TMP/mpi.log" ||
        { cat "$TMP/mpi.log"; echo "winnow-mpi -np $np failed"; exit 1; }; }
same() { cmp "$1" "$2" || { echo "'$2' differs from the single-process '$1'"; exit 1; }; }

mkdir "$TMP/in"
zcat "$D/copyright.jsonl.gz" >"$TMP/cr.jsonl" && split -n l/7 -d "$TMP/cr.jsonl" "$TMP/in/cr-"
zcat "$D/doc-history.jsonl.gz" >"$TMP/in/dh-00"
IN=$TMP/in

# MinHash at the default config, 4 ranks (more than cores: --oversubscribe).
docs=$(cat "$IN"/* | wc -l)
$W dedup minhash "$IN" -o "$TMP/one" --quiet || exit 1
[ "$(zstdcat "$TMP"/one/*.jsonl.zst | wc -l)" -lt "$docs" ] || { echo "nothing removed: a weak test"; exit 1; }
mpi 4 dedup minhash "$IN" -o "$TMP/mpi4"
same "$TMP/one/state/remove.wrm" "$TMP/mpi4/state/remove.wrm"
same "$TMP/one/state/clusters.wcl" "$TMP/mpi4/state/clusters.wcl"
grep -q "4 ranks, $docs documents" "$TMP/mpi.log" || { cat "$TMP/mpi.log"; echo "summary"; exit 1; }
$W dedup minhash "$IN" -o "$TMP/mpi4" --phase remove --quiet || exit 1
same "$TMP/one/dedup-00000-0000.jsonl.zst" "$TMP/mpi4/dedup-00000-0000.jsonl.zst"

# A loose config (large, long clusters: several union rounds) with a small memory budget
# (several exchange rounds and sorted runs per rank), 3 ranks.
$W dedup minhash "$IN" -o "$TMP/loose1" --bands 40 --rows 1 --ngram 2 --keep first --quiet || exit 1
mpi 3 dedup minhash "$IN" -o "$TMP/loose3" --bands 40 --rows 1 --ngram 2 --keep first --memory 64K
same "$TMP/loose1/state/remove.wrm" "$TMP/loose3/state/remove.wrm"
same "$TMP/loose1/state/clusters.wcl" "$TMP/loose3/state/clusters.wcl"
grep -q 'band records in [2-9] rounds' "$TMP/mpi.log" || { cat "$TMP/mpi.log"; echo "expected several exchange rounds"; exit 1; }

# Line dedup: the line set, then the per-shard apply phase on the MPI state.
$W dedup line "$IN" -o "$TMP/lines1" --quiet || exit 1
mpi 2 dedup line "$IN" -o "$TMP/lines2" --memory 64K
same "$TMP/lines1/state/lineset.wls" "$TMP/lines2/state/lineset.wls"
$W dedup line "$IN" -o "$TMP/lines2" --phase apply --quiet || exit 1
same "$TMP/lines1/dedup-00000-0000.jsonl.zst" "$TMP/lines2/dedup-00000-0000.jsonl.zst"

# Refusals are clear and change nothing.
env "$LSAN" "$MPI" dedup minhash "$IN" -o "$TMP/x" --verify 0.8 2>"$TMP/err"; [ $? -eq 2 ] || { echo "--verify must exit 2"; exit 1; }
grep -q 'not supported by winnow-mpi' "$TMP/err" || { cat "$TMP/err"; exit 1; }
[ ! -e "$TMP/x" ] || { echo "a refused run wrote files"; exit 1; }
exit 0
