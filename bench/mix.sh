#!/bin/sh
# Mix throughput: tokens selected, shuffled, packed and written per second, on the real
# tokenized fixtures in tests/data/mix (Llama 3 ids of real text), repeated to a 20M-token
# budget (BENCH_QUICK=1: 4M). The floor is `cat` of the same number of token bytes from the
# inputs (copying alone); the mix is single-threaded, so its figure is per core.
set -e
cd "$(dirname "$0")/.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
budget=20000000
[ -n "${BENCH_QUICK:-}" ] && budget=4000000
R=$(pwd)/tests/data/mix
cat > "$T/mix.yaml" <<YAML
seed: 1
budget: $budget
max_shard_size: 256M
sources:
  - {name: web, path: $R/web, weight: 0.5, max_epochs: 10000}
  - {name: code, path: $R/code, weight: 0.3, max_epochs: 10000}
  - {name: multilingual, path: $R/multilingual, weight: 0.2, max_epochs: 10000}
YAML
reps=$((budget * 4 / $(cat "$R"/*.bin | wc -c) + 1))
now() { date +%s.%N; }
t0=$(now); for i in $(seq 1 "$reps"); do cat "$R"/*.bin; done > "$T/cat.out"; t1=$(now)
./winnow mix "$T/mix.yaml" -o "$T/out" --quiet; t2=$(now)
awk -v n="$budget" -v t0="$t0" -v t1="$t1" -v t2="$t2" 'BEGIN {
    mb = n * 4 / 1e6; c = t1 - t0; m = t2 - t1
    printf "output: %d tokens (%.0f MB int32), one thread\n", n, mb
    printf "%-44s %8.1f MB/s\n", "cat of the same bytes (the floor)", mb / c
    printf "%-44s %8.1f MB/s   %.1fM tokens/s   %.2fx cat time\n", "winnow mix (select, shuffle, pack, write)", mb / m, n / m / 1e6, m / c
}'
