# winnow tokenize --chat: Llama 3 Instruct layout, loss masks beside the tokens, malformed
# conversations rejected with their line number and counted, packing keeps boundaries.
set -u
W=$WINNOW
cat > "$TMP/chat.jsonl" <<'J'
{"messages":[{"role":"system","content":"This is a test sentence."},{"role":"user","content":"user"},{"role":"assistant","content":"system"}]}
{"messages":[{"role":"wizard","content":"x"}]}
{"messages":[{"role":"user"}]}
{"messages":"not a list"}

{"messages":[{"role":"user","content":"user"},{"role":"assistant","content":"assistant"}]}
J
$W tokenize --chat --format datatrove -j 2 "$TMP/chat.jsonl" -o "$TMP/c/chat" 2>"$TMP/err" || { cat "$TMP/err"; exit 1; }
grep -q "chat.jsonl:2': chat.unknown_role" "$TMP/err" || { echo "line 2 not named"; cat "$TMP/err"; exit 1; }
grep -q "chat.jsonl:3': chat.missing_content" "$TMP/err" || { echo "line 3 not named"; exit 1; }
grep -q "chat.jsonl:4': chat.not_a_list" "$TMP/err" || { echo "line 4 not named"; exit 1; }
for r in unknown_role missing_content not_a_list; do
    grep -A1 "\"chat.$r\"" "$TMP/c/chat.stats.json" | grep -q '"docs": 1' || { echo "chat.$r count"; exit 1; }
done
# Conversation 1: bos, system header + 6 ids + eot, user header + 1 + eot, assistant header +
# 1 + eot; only the assistant's content and eot are trained on.
want="128000 128006 9125 128007 271 2028 374 264 1296 11914 13 128009 128006 882 128007 271 882 128009 128006 78191 128007 271 9125 128009"
want="$want 128000 128006 882 128007 271 882 128009 128006 78191 128007 271 78191 128009"
got=$(od -An -v -tu4 "$TMP/c/chat.ds" | tr -s ' \n' '  ' | sed 's/^ //; s/ $//')
[ "$got" = "$want" ] || { echo "tokens: $got"; exit 1; }
mask=$(od -An -v -tu1 "$TMP/c/chat.ds.loss" | tr -s ' \n' '  ' | sed 's/^ //; s/ $//')
[ "$mask" = "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 1 0 0 0 0 0 0 0 0 0 0 0 1 1" ] ||
    { echo "mask: $mask"; exit 1; }
[ "$(od -An -tu8 "$TMP/c/chat.ds.index" | tr -s ' \n' '  ' | sed 's/^ //; s/ $//')" = "24 37" ] ||
    { echo "index"; exit 1; }

# Packing into 32-token sequences: each conversation fits alone, not both: two packs of 32,
# padded with 128004 (mask 0); Megatron keeps conversations and padding as sequences.
$W tokenize --quiet --chat --pack 32 "$TMP/chat.jsonl" -o "$TMP/p/chat" 2>/dev/null || exit 1
[ "$(wc -c < "$TMP/p/chat.bin")" -eq $((2 * 32 * 4)) ] || { echo "packed size"; exit 1; }
[ "$(wc -c < "$TMP/p/chat_mask.bin")" -eq 64 ] || { echo "packed mask size"; exit 1; }
# 4 sequences (24 + 8 pad, 13 + 19 pad), 2 documents
lens=$(od -An -v -tu4 -j 34 -N 16 "$TMP/p/chat.idx" | tr -s ' ' | sed 's/^ //')
[ "$lens" = "24 8 13 19" ] || { echo "sequence lengths: $lens"; exit 1; }
# Same bytes at one thread.
$W tokenize --quiet --chat --pack 32 -j 1 "$TMP/chat.jsonl" -o "$TMP/p1/chat" 2>/dev/null || exit 1
for f in chat.bin chat.idx chat_mask.bin chat_mask.idx; do
    cmp "$TMP/p/$f" "$TMP/p1/$f" || { echo "$f depends on the thread count"; exit 1; }
done
# And with a batch per line at two threads, so packs are filled across batches, each
# batch written while the next is encoded.
$W tokenize --quiet --chat --pack 32 -j 2 --batch-size 1 "$TMP/chat.jsonl" -o "$TMP/pb/chat" 2>/dev/null || exit 1
for f in chat.bin chat.idx chat_mask.bin chat_mask.idx; do
    cmp "$TMP/p/$f" "$TMP/pb/$f" || { echo "$f depends on the batch size"; exit 1; }
done
# Too long for the pack: rejected and counted, not truncated.
$W tokenize --quiet --chat --pack 20 "$TMP/chat.jsonl" -o "$TMP/q/chat" 2>/dev/null || exit 1
grep -q '"chat.too_long"' "$TMP/q/chat.stats.json" || { echo "too_long not counted"; exit 1; }
$W tokenize --pack 8 "$TMP/chat.jsonl" -o "$TMP/x" 2>/dev/null; [ $? -eq 2 ] || { echo "--pack without --chat must exit 2"; exit 1; }
# A line that is not JSON is a broken record (an error with its offset), not a conversation
# rejected for its content; the conversations around it are tokenized.
printf '{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}\nnot json\n' > "$TMP/nj.jsonl"
$W tokenize --chat "$TMP/nj.jsonl" -o "$TMP/nj/chat" 2>"$TMP/nj.err" || exit 1
grep -A4 '"jsonl.bad_record"' "$TMP/nj/chat.stats.json" | grep -q '"offset": 80' || { echo "non-JSON line not an error at its offset"; cat "$TMP/nj/chat.stats.json"; exit 1; }
grep -q '"chat.bad_json"' "$TMP/nj/chat.stats.json" && { echo "non-JSON line counted as a drop"; exit 1; }
grep -q "line 2" "$TMP/nj.err" || { echo "non-JSON line not named"; exit 1; }
exit 0
