#!/bin/sh
# winnow annotate refuses bad arguments and configs with a clear message (exit 2), and
# stops (exit 1) instead of spinning when the server cannot be reached.
set -eu
cd "$(dirname "$0")/../.."
printf '{"id":"a","text":"one"}\n{"id":"b","text":"two"}\n{"id":"c","text":"three"}\n{"id":"d","text":"four"}\n{"id":"e","text":"five"}\n' > "$TMP/in.jsonl"
expect() { # expect CODE MESSAGE args...
    code=$1 msg=$2; shift 2
    rc=0
    "$WINNOW" annotate "$@" 2>"$TMP/err" || rc=$?
    [ $rc -eq "$code" ] || { echo "exit $rc, not $code: $*"; cat "$TMP/err"; exit 1; }
    grep -q -- "$msg" "$TMP/err" || { echo "no '$msg' in:"; cat "$TMP/err"; exit 1; }
}
base="--url http://127.0.0.1:1/v1 --model m -o $TMP/out"
expect 2 "are required" --config fineweb-edu -o "$TMP/out" "$TMP/in.jsonl"
expect 2 "cannot read config 'nope.yaml'" --config nope.yaml $base "$TMP/in.jsonl"
expect 2 "not a number" --config fineweb-edu $base --sample x "$TMP/in.jsonl"
printf 'name: x\nprompt: p.txt\nanswer_regex: "a(b)"\nkind: scale\ncolour: red\n' > "$TMP/c1.yaml"
printf 'Rate {{text}}\n' > "$TMP/p.txt"
expect 2 "unknown key 'colour'" --config "$TMP/c1.yaml" $base "$TMP/in.jsonl"
printf 'name: x\nprompt: p.txt\nanswer_regex: "score: [0-5]"\nkind: scale\n' > "$TMP/c2.yaml"
expect 2 "needs a capture group" --config "$TMP/c2.yaml" $base "$TMP/in.jsonl"
printf 'name: x\nprompt: p.txt\nanswer_regex: "(yes|no)"\nkind: choice\nchoices: [yes, no]\npositive: maybe\n' > "$TMP/c3.yaml"
expect 2 "'positive' must name one of the choices" --config "$TMP/c3.yaml" $base "$TMP/in.jsonl"
printf 'name: x\nprompt: missing.txt\nanswer_regex: "(a)"\nkind: scale\n' > "$TMP/c4.yaml"
expect 2 "missing.txt" --config "$TMP/c4.yaml" $base "$TMP/in.jsonl"
printf 'name: x\nprompt: [unclosed\n' > "$TMP/c5.yaml"
expect 2 "line" --config "$TMP/c5.yaml" $base "$TMP/in.jsonl"
# every shipped config loads (a bare name finds configs/annotate/NAME.yaml beside the binary)
for c in configs/annotate/*.yaml; do
    expect 1 "cannot reach" --config "$(basename "$c" .yaml)" $base --retries 0 --parallel 1 --force "$TMP/in.jsonl"
done
# nothing listens on port 1: connection refused, retried, then the run stops
expect 1 "cannot reach 'http://127.0.0.1:1/v1/chat/completions'" --config fineweb-edu $base \
    --retries 1 --backoff 0.01 --parallel 2 --force "$TMP/in.jsonl"
test ! -f "$TMP/out/annotate.done"
