# The same config run with 1 and with 2 threads per task (and 1 or 2 tasks at once) gives
# byte-identical outputs in every phase.
set -u
W=$WINNOW
REPO=$(pwd)
for j in 1 2; do
    mkdir "$TMP/j$j"
    cat > "$TMP/j$j/run.yaml" <<YAML
workdir: out
parallel: $j
threads: $j
shards: 2
sources:
  - name: web
    inputs: [$REPO/data/sample/crawl]
    ingest: {}
    dedup: {method: exact}
mix:
  seed: 4
  sequence_length: 1024
  sources:
    - {name: code, path: $REPO/tests/data/mix/code, weight: 0.5}
    - {name: web, path: $REPO/tests/data/mix/web, weight: 0.5}
YAML
    (cd "$TMP/j$j" && $W run --quiet run.yaml) || { echo "run with $j threads failed"; exit 1; }
done
cd "$TMP"
(cd j1/out && find . -type f ! -path './.logs/*' ! -path './.done/*' ! -name '*.stats.json' | sort) > a
(cd j2/out && find . -type f ! -path './.logs/*' ! -path './.done/*' ! -name '*.stats.json' | sort) > b
cmp -s a b || { diff a b; exit 1; }
[ "$(wc -l < a)" -ge 6 ] || { echo "too few outputs"; cat a; exit 1; }
# the configs differ (parallel, threads), so the manifests differ in the config's hash only
grep -v config_xxh3_128 j1/out/mix/manifest.json > m1
grep -v config_xxh3_128 j2/out/mix/manifest.json > m2
cmp -s m1 m2 || { diff m1 m2; exit 1; }
grep -v '/manifest.json$' a > files
while read -r f; do cmp -s "j1/out/$f" "j2/out/$f" || { echo "differs: $f"; exit 1; }; done < files
