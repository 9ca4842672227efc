#!/bin/sh
# winnow annotate resumes: a client killed with SIGKILL mid-run (plus a torn last record),
# then one stopped with SIGTERM, are finished by the same command without asking again for
# any document already recorded; other settings in the same directory are refused.
set -eu
. "$(dirname "$0")/../llm-server/start-server.sh"
CORPUS="$WINNOW_SHARED/data/quality/quality.jsonl.gz"
[ -f "$CORPUS" ] || { echo "skipped: $CORPUS not found"; exit 77; }
start_server ""
CFG="$(dirname "$0")/../llm-server/edu-grammar.yaml"
out="$TMP/r"
set -- --config "$CFG" --url "$URL" --model stories260K --sample 24 --seed 3 --parallel 1 -o "$out"
records() { cat "$out/labels.jsonl" "$out/unparseable.jsonl" 2>/dev/null | grep -c '}$' || true; }

# wait (at most 60 s) until at least $1 records exist
wait_records() {
    i=0
    while [ "$(records)" -lt "$1" ]; do
        i=$((i + 1)); [ $i -gt 600 ] && { echo "no progress"; exit 1; }
        sleep 0.1
    done
}

"$WINNOW" annotate "$@" --quiet "$CORPUS" 2>"$TMP/1.err" &
pid=$!
wait_records 5
kill -KILL $pid
wait $pid 2>/dev/null || true
test ! -f "$out/annotate.done"
first=$(records)
test "$first" -lt 24
# a record torn by the kill (simulated: a kill between write()s rarely lands mid-line)
printf '{"n":23,"id":"torn","sco' >> "$out/labels.jsonl"

"$WINNOW" annotate "$@" "$CORPUS" 2>"$TMP/2.err" &
pid=$!
wait_records $((first + 3))
kill -TERM $pid
rc=0
wait $pid || rc=$?
test $rc -eq 1
grep -q "interrupted; run the same command again to resume" "$TMP/2.err"
grep -q "cut 1 torn record" "$TMP/2.err"
second=$(records)

# settings that differ from the run in the directory are refused
rc=0
"$WINNOW" annotate --config "$CFG" --url "$URL" --model stories260K --sample 24 --seed 4 \
    -o "$out" "$CORPUS" 2>"$TMP/3.err" || rc=$?
test $rc -eq 2
grep -q "made with other settings" "$TMP/3.err"

before=$(server_requests)
"$WINNOW" annotate "$@" "$CORPUS" 2>"$TMP/4.err"
test -f "$out/annotate.done"
# exactly the documents without a record were asked, each once
test $(($(server_requests) - before)) -eq $((24 - second))
cat "$out/labels.jsonl" "$out/unparseable.jsonl" | jq -s -e 'map(.n) | sort == [range(24)]' >/dev/null
test "$(wc -l < "$out/train.txt")" -eq "$(wc -l < "$out/labels.jsonl")"
# no request was made twice for one document, over all three runs, except those in flight
# at the two stops (one each, --parallel 1)
dups=$(jq -r .key "$SERVER_LOG" | sort | uniq -d | wc -l)
test "$dups" -le 2
