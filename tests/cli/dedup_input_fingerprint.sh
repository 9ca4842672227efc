# An input edited in place between dedup's first phase and its removal (minhash, exact) or
# apply (line) phase, keeping its record count and even its size: the state names documents
# by their place in the input, so the phase refuses it (exit 1, the input named, nothing
# written) instead of removing other documents; the input restored, it runs. Real mail
# bodies (SpamAssassin, with real duplicates).
set -u
W=$WINNOW
src="$WINNOW_SHARED/data/dedup/spamassassin.jsonl.gz"
[ -f "$src" ] || { echo "shared data not found"; exit 77; }
cd "$TMP" || exit 1
zcat "$src" | head -400 > in.jsonl
cp in.jsonl orig.jsonl
# the same bytes in another order: documents 3 and 4 swapped (same size, same count)
python3 - <<'PY' || exit 1
lines = open("orig.jsonl", "rb").read().split(b"\n")
lines[3], lines[4] = lines[4], lines[3]
open("edited.jsonl", "wb").write(b"\n".join(lines))
PY
[ "$(wc -l < edited.jsonl)" -eq "$(wc -l < orig.jsonl)" ] || exit 1
refused() { # command...: exit 1 naming in.jsonl, no .done, then the restored input runs
    cp edited.jsonl in.jsonl
    "$@" 2> err; rc=$?
    [ $rc -eq 1 ] && grep -q "'in.jsonl' changed since the first phase read it" err ||
        { echo "$*: edited input: exit $rc: $(cat err)"; exit 1; }
    ls out/*.done > /dev/null 2>&1 && { echo "$*: a .done for an edited input"; exit 1; }
    cp orig.jsonl in.jsonl
    "$@" 2> err || { echo "$*: the restored input refused: $(cat err)"; exit 1; }
    ls out/*.done > /dev/null 2>&1 || { echo "$*: no .done"; exit 1; }
    rm -rf out
}
for ph in sign bands merge cluster; do $W dedup minhash in.jsonl -o out --state st-mh --phase $ph --quiet || exit 1; done
refused $W dedup minhash in.jsonl -o out --state st-mh --phase remove --quiet
$W dedup exact in.jsonl -o out --state st-ex --phase sign --quiet || exit 1
for ph in bands merge cluster; do $W dedup exact in.jsonl -o out --state st-ex --phase $ph --quiet || exit 1; done
refused $W dedup exact in.jsonl -o out --state st-ex --phase remove --quiet
for ph in hash count; do $W dedup line in.jsonl -o out --state st-ln --phase $ph --quiet || exit 1; done
refused $W dedup line in.jsonl -o out --state st-ln --phase apply --quiet
# the whole run in one command reads what it fingerprinted: no false alarm, and the state
# holds the fingerprints
$W dedup minhash in.jsonl -o out --quiet || exit 1
ls out/*.done > /dev/null 2>&1 || exit 1
exit 0
