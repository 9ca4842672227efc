# Filter configs a user gets wrong (second audit): word lists with a byte-order mark, binary
# or not UTF-8, empty (the file named); a langid language the model does not have; a
# max_bytes or min_score out of range; broken KL references; a YAML integer too large for
# 64 bits, a key given twice, an alias bomb; a stage that cannot flush; --removed naming the
# output directory. Each is an error naming the subject (before anything runs where it can
# be), or (the BOM, CRLF) read as intended.
set -u
W=$WINNOW
cd "$TMP" || exit 1
python3 - <<'PY'
import json
prose = ("The committee met on Tuesday to discuss the budget of the county schools, and "
         "the members agreed that the libraries should have more money for new books. ")
with open("in.jsonl", "w") as f:
    f.write(json.dumps({"id": "a", "text": prose * 4 + "zorblax appears once."}) + "\n")
    f.write(json.dumps({"id": "b", "text": prose * 5}) + "\n")
PY
cfg() { printf 'filters:\n  - name: %s\n' "$1" > c.yaml; shift; for l in "$@"; do printf '    %s\n' "$l" >> c.yaml; done; }
refused() { # refused WHAT GREP: exit 2 and the message matches
    $W filter --config c.yaml in.jsonl -o "out_$1" --quiet 2> err; rc=$?
    [ $rc -eq 2 ] || { echo "$1: exit $rc, want 2: $(cat err)"; exit 1; }
    grep -q "$2" err || { echo "$1: message: $(cat err)"; exit 1; }
    [ ! -e "out_$1/filter-00000.jsonl.zst" ] || { echo "$1: output written"; exit 1; }
}
# a BOM (Notepad's UTF-8) glued itself to the first entry: the one word never matched
printf '\357\273\277zorblax\r\nquuxword\r\n' > bom.txt
cfg nsfw_words "lists: [bom.txt]" "max_hits: 0" "max_ratio: 1"
$W filter --config c.yaml in.jsonl -o out_bom --quiet 2> err || { cat err; exit 1; }
python3 - out_bom/filter-00000.stats.json <<'PY' || exit 1
import json, sys
j = json.load(open(sys.argv[1]))
assert j["stages"][0]["drops"].get("nsfw.dirty_words", {}).get("docs") == 1, j["stages"][0]
PY
# an image or other binary file given as a list: refused with the line, not read as junk
# entries (a compressed list is decompressed, whatever its name)
printf '\211PNG\r\n\032\n\000\000\000\rIHDR' > list.txt
cfg nsfw_words "lists: [list.txt]"
refused binary "list.txt.*line 1.*not UTF-8"
printf 'ok\nsecond\n\000\001binary\n' > nul.txt
cfg url "domain_lists: [nul.txt]"
refused nul "nul.txt.*line 3.*NUL byte"
printf 'ok\ncaf\351\n' > latin1.txt
cfg nsfw_words "lists: [latin1.txt]"
refused latin1 "latin1.txt.*line 2.*not UTF-8"
# an entry over 16 KB failed Hyperscan's compile at the first scan, mid-run (exit 70)
python3 -c "print('ok'); print('a' * 20000)" > long.txt
cfg nsfw_words "lists: [long.txt]"
refused long_entry "long.txt.*line 2: an entry of 20000 bytes"
# an empty list names the file; a missing one names it once
: > empty.txt
cfg url "domain_lists: [empty.txt]"
refused empty "no entries in '.*empty.txt'"
cfg nsfw_words "lists: [missing.txt]"
refused missing "missing.txt"
[ "$(grep -o 'missing.txt' err | wc -l)" -eq 1 ] || { echo "missing named twice: $(cat err)"; exit 1; }
# "english" is not a label of lid.176 (it says "en"): every document was dropped, exit 0
cfg langid "languages: [english]"
refused language "language 'english' is not a label.*'en'"
cfg langid "max_bytes: -1"
refused max_bytes "max_bytes.* must be"
cfg langid "min_score: 1.5"
refused min_score "min_score must be between 0 and 1"
cfg langid "languages: [en, und]"
$W filter --config c.yaml in.jsonl -o out_ok --quiet || { echo "en, und refused"; exit 1; }
# KL references: a CRLF copy reads as the LF one; a words reference given to the tokens
# unit (token 0 for every word), a count of -5 or over 2^64, an empty file: refused by line
printf '# unit: words\n50\tthe\n20\tcommittee\n' > ref.tsv
printf '# unit: words\r\n50\tthe\r\n20\tcommittee\r\n' > crlf.tsv
for r in ref crlf; do
    cfg kl_divergence "unit: words" "reference: $r.tsv"
    $W filter --config c.yaml in.jsonl -o "kl_$r" --quiet || exit 1
    jq -c '.stages[0].histograms["kl.divergence"].sum' "kl_$r/filter-00000.stats.json" > "$r.sum"
done
cmp -s ref.sum crlf.sum || { echo "CRLF reference differs: $(cat ref.sum) $(cat crlf.sum)"; exit 1; }
printf '# unit: tokens\n50\tthe\n' > tok.tsv
cfg kl_divergence "reference: tok.tsv"
refused kl_tokens "tok.tsv' line 2: expected count<TAB>token id"
printf '# unit: words\n-5\tthe\n' > neg.tsv
cfg kl_divergence "unit: words" "reference: neg.tsv"
refused kl_negative "neg.tsv' line 2: expected count<TAB>word"
printf '# unit: words\n99999999999999999999999\tthe\n' > big.tsv
cfg kl_divergence "unit: words" "reference: big.tsv"
refused kl_overflow "big.tsv' line 2"
: > none.tsv
cfg kl_divergence "unit: words" "reference: none.tsv"
refused kl_empty "none.tsv.*empty"
# 2^70 overflows strtoll; its ERANGE made strtod's good reading a string
cfg gopher_quality "max_doc_words: 1180591620717411303424"
$W filter --config c.yaml in.jsonl -o out_bigint --quiet 2> err || { echo "big integer: $(cat err)"; exit 1; }
# a stage that cannot flush (the KL reference to a directory that is not there) printed an
# error, then exit 0 with a .done record
cfg kl_divergence "unit: words" "build_reference: $TMP/nowhere/ref.tsv"
$W filter --config c.yaml in.jsonl -o klb --quiet 2> err; rc=$?
[ $rc -eq 1 ] && grep -q "nowhere/ref.tsv" err || { echo "kl build: exit $rc: $(cat err)"; exit 1; }
[ ! -e klb/filter-00000.done ] || { echo "kl build: .done written"; exit 1; }
# YAML: a second 'filters:' (an edit gone wrong) silently replaced the first, here with an
# empty chain; nested aliases (a "billion laughs") hung the conversion; a directory as the
# config was named twice
printf 'filters:\n  - name: c4\nfilters: []\n' > c.yaml
refused dup_key "'c.yaml':3:1: duplicate key 'filters'"
python3 - <<'PY'
s = "a0: &a0 [x, y, z, w]\n"
for i in range(1, 30):
    s += f"a{i}: &a{i} [*a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}]\n"
open("c.yaml", "w").write(s + "filters: *a29\n")
PY
timeout 20 $W filter --config c.yaml in.jsonl -o out_bomb --quiet 2> err; rc=$?
[ $rc -eq 2 ] && grep -q "more than a million values" err || { echo "alias bomb: exit $rc: $(cat err)"; exit 1; }
mkdir -p cdir
$W filter --config cdir in.jsonl -o out_cdir --quiet 2> err
[ "$(grep -o "'cdir'" err | wc -l)" -eq 1 ] || { echo "config dir: $(cat err)"; exit 1; }
# --removed naming the output directory: kept and removed parts took each other's name
cfg c4
$W filter --config c.yaml in.jsonl -o same --removed ./same/ --quiet 2> err; rc=$?
[ $rc -eq 1 ] && grep -q "removed './same/' is the output directory" err || { echo "same dir: exit $rc: $(cat err)"; exit 1; }
[ -z "$(ls same)" ] || { echo "same dir: parts written: $(ls same)"; exit 1; }
# thresholds out of their range: a share above 1 or a negative count is refused, not run
cfg fineweb "line_punct_thr: 2.5"
refused frac "parameter 'line_punct_thr' is a fraction: between 0 and 1, not 2.5"
cfg gopher_quality "min_doc_words: -5"
refused negative "parameter 'min_doc_words' must be >= 0, not -5"
cfg gopher_repetition "dup_7gram_frac: 1.01"
refused gram_frac "parameter 'dup_7gram_frac' is a fraction"
cfg fineweb "line_punct_thr: 1" "char_duplicates_ratio: 0"
$W filter --config c.yaml in.jsonl -o out_edges --quiet 2> err || { echo "0 and 1 are fractions: $(cat err)"; exit 1; }
exit 0
