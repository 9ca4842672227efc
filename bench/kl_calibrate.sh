#!/bin/sh
# bench/kl_calibrate.sh: where the KL-divergence filter's default threshold (max_kl 6.0)
# comes from. Llama 3 does not publish its threshold, so this measures, on real text, what
# each threshold would drop: the reference is built over the whole corpus (as a user would:
# pass 1 of configs/filters/kl-build.yaml), every document is scored with nothing dropped
# (max_kl 1e9, min_words 0), and the share of documents of 50 words or more (the default
# min_words) above each threshold is printed per source. Corpus (../shared/data, 26 MB):
#   brown        edited English prose (quality.jsonl.gz, label high)
#   spam         spam bodies (quality.jsonl.gz, label low)
#   ham          mailing-list mail (spamassassin.jsonl.gz, label ham)
#   copyright    Debian copyright files; doc-history: README versions (dedup/)
#   lang-en      the English paragraphs of the language-ID set
#   lang-other   its paragraphs in 42 other languages: the outliers an English corpus
#                should shed
# Prints a markdown table (docs/filter.md quotes it). Not part of CI.
set -eu
cd "$(dirname "$0")/.."
S=${WINNOW_SHARED:-../shared}/data
[ -d "$S/quality" ] || { echo "skipped: $S not found"; exit 0; }
make -s winnow >/dev/null
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
python3 - "$S" "$T/corpus.jsonl" <<'PY'
import gzip, json, sys
shared, out = sys.argv[1], sys.argv[2]
def rows(path):
    for line in gzip.open(shared + "/" + path, "rt"):
        yield json.loads(line)
with open(out, "w") as f:
    def put(src, text):
        f.write(json.dumps({"text": text, "metadata": {"src": src}}) + "\n")
    for d in rows("quality/quality.jsonl.gz"):
        put("brown" if d["label"] == "high" else "spam", d["text"])
    for d in rows("quality/spamassassin.jsonl.gz"):
        if d["label"] == "ham":
            put("ham", d["text"])
    for name in ("copyright", "doc-history"):
        for d in rows("dedup/" + name + ".jsonl.gz"):
            put(name, d["text"])
    for d in rows("langid/langid.jsonl.gz"):
        put("lang-en" if d["lang"] == "en" else "lang-other", d["text"])
PY
printf 'filters:\n  - name: kl_divergence\n    build_reference: %s\n' "$T/ref.tsv" > "$T/build.yaml"
printf 'filters:\n  - name: kl_divergence\n    reference: %s\n    max_kl: 1e9\n    min_words: 0\n' \
    "$T/ref.tsv" > "$T/score.yaml"
./winnow filter --quiet --config "$T/build.yaml" "$T/corpus.jsonl" -o "$T/pass1"
./winnow filter --quiet --config "$T/score.yaml" "$T/corpus.jsonl" -o "$T/pass2"
zstdcat "$T"/pass2/*.jsonl.zst | python3 -c '
import collections, json, sys
scores = collections.defaultdict(list)
for line in sys.stdin:
    d = json.loads(line)
    if len(d["text"].split()) >= 50:
        scores[d["metadata"]["src"]].append(d["attributes"]["kl.divergence"][0][2])
cuts = (4.5, 5.0, 5.5, 6.0, 6.5, 7.0, 8.0)
print("| source | docs (>= 50 words) | median KL | " + " | ".join("> %.1f" % c for c in cuts) + " |")
print("|---|---|---|" + "---|" * len(cuts))
for src in ("brown", "ham", "copyright", "doc-history", "lang-en", "spam", "lang-other"):
    x = sorted(scores[src])
    share = ["%.1f%%" % (100.0 * sum(v > c for v in x) / len(x)) for c in cuts]
    print("| %s | %d | %.2f | %s |" % (src, len(x), x[len(x) // 2], " | ".join(share)))
'
