# winnow mix --shard I/N + --finish: the union of the N parts' files is byte-identical to
# the one-process run's (every shard and the manifest), for N = 1, 2, 3, 7 and more parts
# than shards, Megatron and llm.c, with and without keep_remainder, train, validation and
# the anneal mix; a missing part, a part of another seed or config, a missing shard and
# stale records of another N are errors naming the file; finish removes what an earlier,
# larger mix left.
set -u
W=$WINNOW
REPO=$(pwd)
D=$REPO/tests/data/mix
fail() { echo "FAIL: $*"; exit 1; }

# config NAME FORMAT KEEP_REMAINDER BUDGET: a three-source mix with an anneal, small shards
config() {
    cat > "$TMP/$1.yaml" <<YAML
seed: 7
sequence_length: 256
val_fraction: 0.1
max_shard_size: 16K
format: $2
keep_remainder: $3
budget: $4
sources:
  - {name: web, path: $D/web, weight: 0.6, max_epochs: 1.5}
  - {name: code, path: $D/code, weight: 0.2}
  - {name: ml, path: $D/multilingual, weight: 0.2, max_epochs: 3}
anneal:
  budget: 20K
  sources:
    - {name: web, weight: 0.5}
    - {name: code, weight: 0.3}
    - {name: ml, weight: 0.2, max_epochs: 2}
YAML
}

# parts CONFIG DIR N: every part (in reverse order: order must not matter), then finish
parts() {
    i=$(($3 - 1))
    while [ $i -ge 0 ]; do
        $W mix "$TMP/$1.yaml" -o "$2" --shard $i/$3 --quiet || fail "$1 part $i/$3"
        i=$((i - 1))
    done
    $W mix "$TMP/$1.yaml" -o "$2" --finish --quiet || fail "$1 finish of $3"
}

# same DIR_A DIR_B: the same files, byte for byte
same() {
    diff -r "$1" "$2" > "$TMP/diff" || { cat "$TMP/diff"; fail "$2 differs from $1"; }
}

for fmt in megatron llmc; do
    for keep in false true; do
        c=$fmt-$keep
        config $c $fmt $keep 60K
        $W mix "$TMP/$c.yaml" -o "$TMP/$c-one" --quiet || fail "$c one process"
        n_train=$(ls "$TMP/$c-one" | grep -c 'train')
        [ "$n_train" -ge 8 ] || fail "$c: want several train shards, got $n_train"
        ls "$TMP/$c-one" | grep -q 'val' || fail "$c: no validation shard"
        ls "$TMP/$c-one/anneal" | grep -q 'val' || fail "$c: no anneal validation shard"
        for n in 1 2 3 7 40; do
            parts $c "$TMP/$c-$n" $n
            same "$TMP/$c-one" "$TMP/$c-$n"
        done
    done
done
# --shard 0/1 is the one-process run; after --finish no part record is left either way
[ -z "$(ls "$TMP"/*-[0-9]* | grep mix-part)" ] || fail "part records left after finish"

# a finished mix is skipped by parts and by finish
P=$TMP/megatron-false-3
out=$($W mix "$TMP/megatron-false.yaml" -o "$P" --finish 2>&1) || fail "finish again: $out"
echo "$out" | grep -q "already complete" || fail "a second finish must skip: $out"
out=$($W mix "$TMP/megatron-false.yaml" -o "$P" --shard 1/3 2>&1) || fail "part again: $out"
echo "$out" | grep -q "already complete" || fail "a part of a complete mix must skip: $out"

# bad parts: each an error (exit 1) naming the file, and no manifest
part() { # DIR I/N [OPTIONS...]: a part of megatron-false
    d=$1 s=$2; shift 2
    $W mix "$TMP/megatron-false.yaml" -o "$d" --shard "$s" --quiet "$@" || fail "part $s $*"
}
bad() { # DIR WHAT PATTERN
    out=$($W mix "$TMP/megatron-false.yaml" -o "$1" --finish 2>&1)
    rc=$?
    [ $rc -eq 1 ] || fail "$2: exit $rc, want 1: $out"
    echo "$out" | grep -q "$3" || fail "$2: message does not name the file: $out"
    [ ! -e "$1/mix.done" ] && [ ! -e "$1/manifest.json" ] || fail "$2: manifest written"
}
P=$TMP/bad
for i in 0 1 2; do part "$P" $i/3; done
rm "$P/mix-part-00001-of-00003.json"
bad "$P" "missing part" "missing part record '$P/mix-part-00001-of-00003.json'"
part "$P" 1/3 --seed 8
bad "$P" "other seed" "'$P/mix-part-00001-of-00003.json' is a part of another mix: its seed differs"
config other megatron false 50K
$W mix "$TMP/other.yaml" -o "$P" --shard 1/3 --force --quiet || fail "other config part"
bad "$P" "other config" "'$P/mix-part-00001-of-00003.json' is a part of another mix: its mix differs"
out=$($W mix "$TMP/megatron-false.yaml" -o "$P" --shard 1/3 2>&1) || fail "$out"
echo "$out" | grep -q "part 1 of 3 is already complete" || fail "a done part must skip: $out"
part "$P" 1/3 --force
# the other config's part wrote shards of its own layout over part 0's, of the same size
bad "$P" "replaced shard" "'$P/train-0000.\.bin' was replaced after '$P/mix-part-00000-of-00003.json'"
part "$P" 0/3 --force
part "$P" 2/3 --force
rm "$P/train-00005.idx"
bad "$P" "missing shard" "missing shard '$P/train-00005.idx' (listed in '$P/mix-part-00001-of-00003.json')"
part "$P" 1/3 --force
cp "$P/mix-part-00000-of-00003.json" "$P/mix-part-00000-of-00002.json"
bad "$P" "stale N" "mix-part-0000.-of-0000.\.json' and '.*' are parts of runs of"
rm "$P/mix-part-00000-of-00002.json"
$W mix "$TMP/megatron-false.yaml" -o "$P" --finish --shard 0/2 2>/dev/null
[ $? -eq 2 ] || fail "--finish with --shard must be a usage error"
$W mix "$TMP/megatron-false.yaml" -o "$P" --finish --quiet || fail "finish after repair"
same "$TMP/megatron-false-one" "$P"

# parts over the leftovers of a larger one-process mix: finish leaves what one run leaves
config big megatron false 70K
P=$TMP/over
$W mix "$TMP/big.yaml" -o "$P" --quiet || fail "big mix"
out=$($W mix "$TMP/megatron-false.yaml" -o "$P" --shard 0/2 2>&1) || fail "$out"
echo "$out" | grep -q "already complete" || fail "a part over a complete mix must skip: $out"
for i in 0 1; do
    $W mix "$TMP/megatron-false.yaml" -o "$P" --shard $i/2 --force --quiet || fail "part $i"
done
$W mix "$TMP/megatron-false.yaml" -o "$P" --finish --quiet || fail "finish over big"
same "$TMP/megatron-false-one" "$P" # stale shards of the larger mix are gone too
exit 0
