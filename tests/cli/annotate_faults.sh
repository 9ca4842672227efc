#!/bin/sh
# winnow annotate against a misbehaving server: 429 with Retry-After, 500, replies slower
# than the timeout, cut-off JSON, and answers with no score. Transient faults are retried
# (Retry-After honoured, otherwise exponential backoff) and every count reconciles;
# garbage answers are kept aside as unparseable; with no retries left a document fails,
# the run says so (exit 1) and the next run asks only for the failed ones.
set -eu
. "$(dirname "$0")/../llm-server/start-server.sh"
CORPUS="$WINNOW_SHARED/data/quality/quality.jsonl.gz"
[ -f "$CORPUS" ] || { echo "skipped: $CORPUS not found"; exit 77; }
start_server "429=0.2,500=0.15,slow=0.1,garbage=0.15,badjson=0.1,slow-ms=6000,retry-after=1"
CFG="$(dirname "$0")/../llm-server/edu-grammar.yaml"
ann() { "$WINNOW" annotate --config "$CFG" --url "$URL" --model stories260K --timeout 4 \
          --backoff 0.05 --max-backoff 0.2 --parallel 3 "$@" "$CORPUS"; }

ann --sample 30 --retries 3 -o "$TMP/a" 2>"$TMP/a.err"
out="$TMP/a"
keys() { jq -r "select(.fault == \"$1\" and .attempt == 1) | .key" "$SERVER_LOG" | sort -u | wc -l; }
n429=$(keys 429); n500=$(keys 500); nslow=$(keys slow); nbad=$(keys badjson); ngarbage=$(keys garbage)
# the seeded sample hits every kind of fault
for n in "$n429" "$n500" "$nslow" "$nbad" "$ngarbage"; do test "$n" -gt 0; done
nl=$(wc -l < "$out/labels.jsonl"); nu=$(wc -l < "$out/unparseable.jsonl")
test $((nl + nu)) -eq 30
test "$nu" -eq "$ngarbage"
jq -e -s 'all(.[]; .reason == "no_match" and .answer == "I would rather not say.")' "$out/unparseable.jsonl" >/dev/null
S="$out/annotate.stats.json"
jq -e --argjson a "$n429" --argjson b "$n500" --argjson c "$nslow" --argjson d "$nbad" \
   '.sums.http_429 == $a and .sums.http_5xx == $b and .sums.timeouts == $c and .sums.bad_replies == $d
    and .sums.retries == ($a + $b + $c + $d) and .sums.requests == 30 + .sums.retries
    and .sums.failed == 0 and .docs_in == 30 and .docs_out + .drops["annotate.unparseable"].docs == 30' "$S" >/dev/null
test "$(server_requests)" -eq "$(jq .sums.requests "$S")"
# Retry-After: 1 was honoured; a 500 was retried after the short exponential backoff
jq -s -e 'group_by(.key) | map(select(.[0].fault == "429") | .[1].t - .[0].t) | all(. >= 950)' "$SERVER_LOG" >/dev/null
jq -s -e 'group_by(.key) | map(select(.[0].fault == "500") | .[1].t - .[0].t) | all(. < 900)' "$SERVER_LOG" >/dev/null
test -f "$out/annotate.done"
test "$(wc -l < "$out/train.txt")" -eq "$nl"

# no retries: the faulted documents fail, nothing is marked complete
before=$(server_requests)
rc=0
ann --sample 20 --seed 99 --retries 0 -o "$TMP/b" 2>"$TMP/b.err" || rc=$?
test $rc -eq 1
grep -q "could not be labelled; run the same command again" "$TMP/b.err"
test ! -f "$TMP/b/annotate.done" && test ! -f "$TMP/b/train.txt"
failed=$(jq .sums.failed "$TMP/b/annotate.stats.json")
test "$failed" -gt 0
# the rerun asks for exactly the failed documents, and they succeed on this try
mid=$(server_requests)
ann --sample 20 --seed 99 --retries 0 -o "$TMP/b" 2>"$TMP/b2.err"
test $(($(server_requests) - mid)) -eq "$failed"
test -f "$TMP/b/annotate.done"
test "$(($(wc -l < "$TMP/b/labels.jsonl") + $(wc -l < "$TMP/b/unparseable.jsonl")))" -eq 20
test "$before" -lt "$mid"
