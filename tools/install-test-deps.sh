#!/bin/sh
# What only the tests need, on top of tools/install-deps.sh (CI runs both). Each block says
# which tests need it; a test whose dependency cannot be had reports itself skipped.
set -e
cd "$(dirname "$0")/.."
# python3 + jq: CLI tests check JSON outputs; fasttext: classify checks against the official
# tool; slurm-wlm + munge: the single-node Slurm test; OpenMPI: the winnow-mpi dedup tests.
sh tools/install-deps.sh python3 jq fasttext slurm-wlm munge libopenmpi-dev openmpi-bin
# npm packages into git-ignored, tests-local node_modules: node-llama-cpp, a prebuilt CPU
# llama.cpp (linux-x64) for the annotate tests' local server; optional (GPU) builds are left
# out, and nothing is downloaded or compiled at install. Without npm the tests skip.
if command -v npm >/dev/null 2>&1; then
  (cd tests/llm-server && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --no-audit --no-fund \
    --omit=optional --ignore-scripts >/dev/null) ||
    echo "warning: npm install for tests/llm-server failed; annotate server tests will skip" >&2
fi
# npm tiktoken (WASM, no native code) for tests/cli/tok_reference_fuzz.sh: the reference
# library's own ids on adversarial text. Without npm the test skips.
if command -v npm >/dev/null 2>&1; then
  (cd tests/tok-reference && npm install --no-audit --no-fund --ignore-scripts >/dev/null) ||
    echo "warning: npm install for tests/tok-reference failed; tok_reference_fuzz will skip" >&2
fi
