# Line-level dedup (Llama 3: lines seen more than K times in a bucket; CCNet: every repeat),
# per-document counts, documents left empty dropped with their own reason; real mail data.
set -u
W=$WINNOW
: > "$TMP/in.jsonl"
for i in 1 2 3 4 5 6 7; do
    printf '{"id":"d%s","text":"unique line %s\\nSubscribe to our   NEWSLETTER\\n\\nanother unique %s"}\n' $i $i $i >> "$TMP/in.jsonl"
done
printf '{"id":"only","text":"subscribe to our newsletter\\n  "}\n' >> "$TMP/in.jsonl"
$W dedup line --quiet "$TMP/in.jsonl" -o "$TMP/l" || exit 1
zstdcat "$TMP"/l/dedup-00000-*.jsonl.zst > "$TMP/l.out"
[ "$(wc -l < "$TMP/l.out")" -eq 7 ] || { echo "the document left empty must be dropped"; exit 1; }
grep -qi newsletter "$TMP/l.out" && { echo "a line seen 8 times > 6 must go"; exit 1; }
grep -q '"dedup_line_removed":1' "$TMP/l.out" || { echo "per-document count"; exit 1; }
grep -q 'unique line 3\\n\\nanother unique 3' "$TMP/l.out" || { echo "other lines (and blank ones) stay"; exit 1; }
grep -q '"dedup.line.empty"' "$TMP"/l/dedup-00000.stats.json || { echo "empty reason"; exit 1; }
grep -q '"count": 8' "$TMP/l/state/lines.json" || { echo "top lines report"; exit 1; }
# 8 occurrences with --max-repeats 8: nothing goes
$W dedup line --quiet --max-repeats 8 "$TMP/in.jsonl" -o "$TMP/l8" || exit 1
[ "$(zstdcat "$TMP"/l8/dedup-00000-*.jsonl.zst | grep -ci newsletter)" -eq 8 ] || { echo "--max-repeats"; exit 1; }
# CCNet: the first occurrence stays
$W dedup line --quiet --ccnet "$TMP/in.jsonl" -o "$TMP/cc" || exit 1
[ "$(zstdcat "$TMP"/cc/dedup-00000-*.jsonl.zst | grep -ci newsletter)" -eq 1 ] || { echo "ccnet keeps one"; exit 1; }
zstdcat "$TMP"/cc/dedup-00000-*.jsonl.zst | head -1 | grep -q NEWSLETTER || { echo "ccnet keeps the first"; exit 1; }
# buckets: one document per bucket -> each line seen once per bucket -> nothing removed
split -l 1 "$TMP/in.jsonl" "$TMP/part-"
$W dedup line --quiet --bucket-docs 1 "$TMP"/part-* -o "$TMP/b1" || exit 1
[ "$(zstdcat "$TMP"/b1/dedup-00000-*.jsonl.zst | grep -ci newsletter)" -eq 8 ] || { echo "buckets"; exit 1; }

# incremental: an old corpus with the line 4 times, new data with it 3 times: 3 <= 6 alone,
# 3 + 4 > 6 against the index; CCNet mode removes every new occurrence of an old line
: > "$TMP/old.jsonl"; : > "$TMP/new.jsonl"
for i in 1 2 3 4; do printf '{"id":"o%s","text":"old %s\\nshared footer line"}\n' $i $i >> "$TMP/old.jsonl"; done
for i in 1 2 3; do printf '{"id":"n%s","text":"new %s\\nShared footer line"}\n' $i $i >> "$TMP/new.jsonl"; done
$W dedup line --quiet "$TMP/old.jsonl" -o "$TMP/old" --index-out "$TMP/lidx" || exit 1
$W dedup line --quiet "$TMP/new.jsonl" -o "$TMP/new0" || exit 1
[ "$(zstdcat "$TMP"/new0/dedup-00000-*.jsonl.zst | grep -c footer)" -eq 3 ] || { echo "no index: kept"; exit 1; }
$W dedup line --quiet "$TMP/new.jsonl" -o "$TMP/new1" --index "$TMP/lidx" || exit 1
[ "$(zstdcat "$TMP"/new1/dedup-00000-*.jsonl.zst | grep -c footer)" -eq 0 ] || { echo "index: 7 > 6 removed"; exit 1; }
$W dedup line --quiet --ccnet "$TMP/old.jsonl" -o "$TMP/oldc" --index-out "$TMP/lidxc" || exit 1
$W dedup line --quiet --ccnet "$TMP/new.jsonl" -o "$TMP/newc" --index "$TMP/lidxc" || exit 1
[ "$(zstdcat "$TMP"/newc/dedup-00000-*.jsonl.zst | grep -c footer)" -eq 0 ] || { echo "ccnet index"; exit 1; }
$W dedup line --quiet --max-repeats 3 "$TMP/new.jsonl" -o "$TMP/newx" --index "$TMP/lidx" 2> "$TMP/err"
[ $? -eq 1 ] && grep -q "refusing to mix" "$TMP/err" || { cat "$TMP/err"; echo "index of another config"; exit 1; }

# real mail: the same removal with 1 and 2 threads and 2 shards
D=$WINNOW_SHARED/data/dedup
[ -f "$D/spamassassin.jsonl.gz" ] || { echo "shared data not found: skipped"; exit 77; }
zcat "$D/spamassassin.jsonl.gz" | head -600 > "$TMP/mail1.jsonl"
zcat "$D/spamassassin.jsonl.gz" | sed -n '601,1200p' > "$TMP/mail2.jsonl"
$W dedup line --quiet -j 1 "$TMP"/mail*.jsonl -o "$TMP/m1" || exit 1
for i in 0 1; do $W dedup line --quiet -j 2 --phase hash --shard $i/2 "$TMP"/mail*.jsonl -o "$TMP/m2" || exit 1; done
$W dedup line --quiet --phase count "$TMP"/mail*.jsonl -o "$TMP/m2" || exit 1
for i in 0 1; do $W dedup line --quiet -j 2 --phase apply --shard $i/2 "$TMP"/mail*.jsonl -o "$TMP/m2" || exit 1; done
cmp "$TMP/m1/state/lineset.wls" "$TMP/m2/state/lineset.wls" || { echo "line set differs"; exit 1; }
b=$(zstdcat "$TMP"/m2/dedup-00000-*.jsonl.zst "$TMP"/m2/dedup-00001-*.jsonl.zst | sort | md5sum)
c=$(zstdcat "$TMP"/m1/dedup-*.jsonl.zst | sort | md5sum)
[ "$b" = "$c" ] || { echo "output differs with shards"; exit 1; }
grep -q '"lines_removed"' "$TMP"/m1/dedup-00000.stats.json || { echo "no line removed from real mail"; exit 1; }
exit 0
