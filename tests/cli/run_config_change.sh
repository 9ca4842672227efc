# A run of a changed config in the same workdir is refused before any work, naming the
# phase and what to remove; the unchanged config resumes (nothing to redo); a change only
# inside a file an option names (the filter's own config) counts as a change; the changed
# config runs in another workdir. Resuming after -j/parallel changes is allowed (output is
# the same at any thread count).
set -u
W=$WINNOW
REPO=$(pwd)
cp "$REPO/configs/filters/llama3.yaml" "$TMP/filters.yaml"
write_config() { # workdir parallel
    cat > "$TMP/run.yaml" <<YAML
workdir: $1
parallel: $2
shards: 2
sources:
  - name: web
    inputs: [$REPO/data/sample/crawl]
    ingest: {}
    filter: {config: filters.yaml}
    tokenize: {}
YAML
}
write_config out 2
$W run --quiet "$TMP/run.yaml" || { echo "first run failed"; exit 1; }
[ -s "$TMP/out/.fingerprints/web.filter" ] || { echo "no stamp"; exit 1; }
before=$(cat "$TMP"/out/web/tokenize/*.idx | cksum)

# the same config again, and with other parallelism: nothing to redo, outputs untouched
$W run --quiet "$TMP/run.yaml" || { echo "resume of the same config failed"; exit 1; }
write_config out 1
$W run --quiet "$TMP/run.yaml" || { echo "a parallel change was refused"; exit 1; }
[ "$(cat "$TMP"/out/web/tokenize/*.idx | cksum)" = "$before" ] || { echo "outputs changed"; exit 1; }

# a threshold changed inside the filter's config file: refused, exit 2, nothing rerun
sed -i 's/^\( *dup_line_frac:\).*/\1 0.35/' "$TMP/filters.yaml"
grep -q 'dup_line_frac: 0.35' "$TMP/filters.yaml" || { echo "test setup: no dup_line_frac key"; exit 1; }
err=$($W run --quiet "$TMP/run.yaml" 2>&1); rc=$?
[ $rc -eq 2 ] || { echo "changed filter config: exit $rc"; echo "$err"; exit 1; }
echo "$err" | grep -q "phase 'web.filter' ran with other settings" || { echo "$err"; exit 1; }
echo "$err" | grep -q "'web.tokenize'" || { echo "later phases not named: $err"; exit 1; }
echo "$err" | grep -q "phase 'web.ingest'" && { echo "unchanged phase reported: $err"; exit 1; }
[ "$(cat "$TMP"/out/web/tokenize/*.idx | cksum)" = "$before" ] || { echo "refused run touched outputs"; exit 1; }

# in another workdir the changed config runs
write_config out2 2
$W run --quiet "$TMP/run.yaml" || { echo "changed config in a new workdir failed"; exit 1; }
exit 0
