# `winnow stats` as the first documentation audit found it (docs/audit.md, seventh session,
# second round): a second --what-if called a signal every document has absent (the first
# one's JSON reader had moved the attributes); a quantile in the last histogram bin, which
# also holds every value above the range, printed as an exact number ("1960" for "1960 or
# more"); and the reads of three dedup methods over the same documents added up in one row.
set -u
W=$WINNOW
fail() { echo "$*"; exit 1; }
cd "$TMP" || exit 1
python3 - <<'PY'
import json
prose = ("The committee met on Tuesday to discuss the budget of the county schools, and "
         "the members agreed that the libraries should have more money for new books. ")
with open("in.jsonl", "w") as f:
    # 27 words a time: 54 to 3240 words, and the word-count histogram ends at 2000
    for i, times in enumerate([2, 4, 8, 16, 24, 32, 40, 48, 100, 120]):
        f.write(json.dumps({"id": str(i), "text": prose * times}) + "\n")
PY
$W filter --annotate-only in.jsonl -o ann --quiet || fail "filter"

# 1. every expression sees the signals
$W stats ann --what-if 'gopher.word_count > 10' --what-if 'gopher.word_count > 50' > out 2>&1 || fail "what-if: $(cat out)"
grep -q "no document has" out && fail "what-if: $(grep 'no document' out)"
$W stats ann --json --what-if 'gopher.word_count > 10' --what-if 'gopher.word_count > 50' > j || fail "what-if --json"
python3 -c 'import json,sys; d=json.load(open("j")); sys.exit(0 if [x["absent_attributes"] for x in d] == [[], []] else "absent: %s" % [x["absent_attributes"] for x in d])' || exit 1
$W stats ann --what-if 'gopher.word_cnt > 10' --what-if 'gopher.word_count > 50' > out 2>&1
[ "$(grep -c "no document has 'gopher.word_cnt'" out)" -eq 1 ] || fail "a misspelt signal is still named: $(cat out)"

# 2. p50 (648 words: the bin of 640) is exact; p90 (2700) is in the last bin [1960, inf)
$W stats ann > out || fail "stats"
grep -q "gopher.word_count .*  40 /        640 /      1960+$" out || fail "quantiles: $(grep word_count out)"
$W stats ann --json > j || fail "stats --json"
python3 - <<'PY' || exit 1
import json, sys
d = json.load(open("j"))
h = [s for s in d if s["stage"] == "filter.gopher_quality"][0]["histograms"]["gopher.word_count"]
want = {"p10": 40.0, "p50": 640.0, "p90": 1960.0, "or_more": ["p90"], "lo": 0.0, "hi": 2000.0}
got = {k: h.get(k) for k in want}
sys.exit(0 if got == want and len(h["bins"]) == 50 else "histogram JSON: %s" % got)
PY

# 7. each dedup method on its own rows; a file written before "method" existed still merges
$W dedup url ann -o du --quiet || fail "dedup url"
$W dedup minhash ann -o dm --quiet || fail "dedup minhash"
$W stats du dm > out || fail "stats du dm"
grep -q "^  dedup url.read in 10 docs" out && grep -q "^  dedup minhash.read in 10 docs" out &&
    grep -q "^  dedup-sign minhash.dedup.sign in 10 docs" out || fail "dedup rows: $(cat out)"
mkdir old
python3 -c '
import json; d = json.load(open("du/dedup-00000.stats.json")); del d["method"]
json.dump(d, open("old/dedup-00000.stats.json", "w"))'
$W stats du old > out || fail "stats with an old file"
grep -q "^  dedup.read in 10 docs" out && grep -q "^  dedup url.read in 10 docs" out || fail "old + new: $(cat out)"
exit 0
