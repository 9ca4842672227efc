# winnow encode / decode: Meta's test vector, golden ids (official HF binding) through the
# CLI's --jsonl path, byte-exact round trips (invalid UTF-8 too), error exits.
set -u
W=$WINNOW
GOLDEN=$WINNOW_SHARED/data/tokenizer/golden.jsonl

got=$(printf 'This is a test sentence.' | $W encode)
[ "$got" = "2028 374 264 1296 11914 13" ] || { echo "test vector: $got"; exit 1; }
got=$(printf 'This is a test sentence.' | $W encode --bos --eos)
[ "$got" = "128000 2028 374 264 1296 11914 13 128001" ] || { echo "bos/eos: $got"; exit 1; }
got=$(printf 'a<|eot_id|>' | $W encode --special)
[ "$got" = "64 128009" ] || { echo "--special: $got"; exit 1; }

# Round trip of arbitrary bytes, including ill-formed UTF-8, through both commands.
printf 'caf\303\251 \377\376 x\300\257 \355\240\200 tab\there\r\n\n  end  ' > "$TMP/bytes"
$W encode "$TMP/bytes" > "$TMP/ids" || exit 1
$W decode "$TMP/ids" > "$TMP/back" || exit 1
cmp "$TMP/bytes" "$TMP/back" || { echo "round trip differs"; exit 1; }
# stdin and gzip input give the same ids
gzip -c "$TMP/bytes" > "$TMP/bytes.gz"
$W encode "$TMP/bytes.gz" | cmp - "$TMP/ids" || { echo "gzip input differs"; exit 1; }

# Errors: an id out of range and a missing file fail with 1, a bad tokenizer with 2.
echo "9906 128256" | $W decode >/dev/null 2>"$TMP/err"; [ $? -eq 1 ] || { echo "bad id must exit 1"; exit 1; }
grep -q "'128256' is not a token id" "$TMP/err" || { cat "$TMP/err"; exit 1; }
$W encode "$TMP/nope" 2>/dev/null; [ $? -eq 1 ] || { echo "missing input must exit 1"; exit 1; }
$W encode --tokenizer "$TMP/nope" "$TMP/bytes" 2>/dev/null; [ $? -eq 2 ] || { echo "bad tokenizer must exit 2"; exit 1; }

[ -r "$GOLDEN" ] || { echo "no $GOLDEN"; exit 77; }
# Golden ids through --jsonl (two threads; output order is input order).
head -n 300 "$GOLDEN" > "$TMP/golden.jsonl"
grep -o '"ids":\[[0-9,]*\]' "$TMP/golden.jsonl" | sed 's/^/{/; s/$/}/' > "$TMP/want"
$W encode --jsonl -j 2 "$TMP/golden.jsonl" > "$TMP/got" || exit 1
cmp "$TMP/want" "$TMP/got" || { echo "golden ids differ via the CLI"; exit 1; }
# and back: decode --jsonl returns the texts, each exactly
$W decode --jsonl "$TMP/got" > "$TMP/texts" || exit 1
[ "$(wc -l < "$TMP/texts")" -eq 300 ] || { echo "decode --jsonl line count"; exit 1; }
python3 - "$TMP/golden.jsonl" "$TMP/texts" <<'PY' || exit 1
import json, sys
want = [json.loads(l)["text"] for l in open(sys.argv[1], encoding="utf-8")]
got = [json.loads(l)["text"] for l in open(sys.argv[2], encoding="utf-8")]
bad = [i for i, (w, g) in enumerate(zip(want, got)) if w != g]
if bad:
    sys.exit("decode --jsonl: line %d is %r, not %r" % (bad[0] + 1, got[bad[0]], want[bad[0]]))
PY
# The same ids in any JSON layout decode alike: encode's own layout (read directly),
# spaced, or beside other keys (read by jansson).
printf '%s\n' '{"ids":[9906,1917]}' ' { "ids" : [ 9906 ,1917 ] } ' '{"ids": [9906, 1917], "n": 2}' \
    '{"n":{"ids":[1]},"ids":[9906,1917]}' '{"\u0069ds":[9906,1917]}' > "$TMP/layouts"
$W decode --jsonl "$TMP/layouts" > "$TMP/out" || { echo "decode --jsonl layouts"; exit 1; }
[ "$(sort -u "$TMP/out")" = '{"text":"Hello world"}' ] || { cat "$TMP/out"; exit 1; }
# What is not a list of ids is an error line, in its place, whichever reader saw it.
printf '%s\n' '{"ids":[01]}' '{"ids":[1.0]}' '{"ids":[128256]}' '{"ids":[99999999999999999999]}' \
    '{"ids":[-1]}' '{"ids":[1,]}' '{"ids":[1] x}' '{"ids":"1"}' '{"ids":[9906]}' > "$TMP/bad"
$W decode --jsonl "$TMP/bad" > "$TMP/out" 2>/dev/null
[ $? -eq 1 ] || { echo "bad ids must exit 1"; exit 1; }
[ "$(grep -c '^{"error":' "$TMP/out")" -eq 8 ] || { cat "$TMP/out"; exit 1; }
[ "$(sed -n 9p "$TMP/out")" = '{"text":"Hello"}' ] || { cat "$TMP/out"; exit 1; }
# encode --jsonl reads lines as `winnow tokenize` does: a NUL in the text is text.
printf '{"text":"a\\u0000b"}\n' | $W encode --jsonl > "$TMP/out" || { echo "NUL in text"; exit 1; }
$W decode --jsonl "$TMP/out" | grep -qx '{"text":"a\\u0000b"}' || { echo "NUL round trip"; exit 1; }
# A broken line keeps its place as an error line; the exit code says so.
printf '{"text":"a"}\nnot json\n{"text":"b"}\n' | $W encode --jsonl > "$TMP/out" 2>/dev/null
[ $? -eq 1 ] || { echo "bad line must exit 1"; exit 1; }
[ "$(sed -n 2p "$TMP/out" | cut -c1-9)" = '{"error":' ] || { echo "error line"; exit 1; }
[ "$(sed -n 3p "$TMP/out")" = '{"ids":[65]}' ] || { echo "line 3 after a bad line"; exit 1; }
exit 0
