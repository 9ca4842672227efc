# Sourced by the fastText CLI tests: skips (exit 77) without the official fastText, jq or the
# shared langid set; otherwise writes, in the current directory, all.txt (fastText lines,
# "__label__<lang> <text on one line>") and train.txt (4 lines in 5; the 5th are for tests).
command -v fasttext >/dev/null || { echo "fasttext not installed (tools/install-test-deps.sh)"; exit 77; }
command -v jq >/dev/null || { echo "jq not installed (tools/install-test-deps.sh)"; exit 77; }
[ -f "$WINNOW_SHARED/data/langid/langid.jsonl.gz" ] || { echo "shared data not found"; exit 77; }
zcat "$WINNOW_SHARED/data/langid/langid.jsonl.gz" |
    jq -r '"__label__" + .lang + " " + (.text | gsub("\\s+"; " "))' > all.txt
awk 'NR % 5 != 0' all.txt > train.txt
