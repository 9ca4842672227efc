# env.sh: sourced by the CLI tests that compare winnow's ids with npm tiktoken's. Sets REF
# (this directory) and MODEL (the shipped tiktoken file), or exits 77 (skipped) when node or
# npm tiktoken (tools/install-test-deps.sh) is missing. The test's $0 locates the repo.
REF="$(cd "$(dirname "$0")/../tok-reference" && pwd)"
MODEL="$REF/../../data/tokenizer/llama3.tiktoken"
command -v node >/dev/null 2>&1 || { echo "skipped: node not installed"; exit 77; }
[ -d "$REF/node_modules/tiktoken" ] || {
    echo "skipped: npm tiktoken not installed (tools/install-test-deps.sh)"; exit 77; }
