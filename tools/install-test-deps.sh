#!/bin/sh
# Install what the tests need beyond tools/install-deps.sh: npm packages into git-ignored,
# tests-local node_modules. Without npm or the registry the tests that need them skip.
set -e
cd "$(dirname "$0")/.."
if command -v npm >/dev/null 2>&1; then
  # node-llama-cpp: a prebuilt CPU llama.cpp (linux-x64) for the annotate tests' local server;
  # optional (GPU) builds are left out, and nothing is downloaded or compiled at install.
  (cd tests/llm-server && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --no-audit --no-fund \
    --omit=optional --ignore-scripts >/dev/null) ||
    echo "warning: npm install for tests/llm-server failed; annotate server tests will skip" >&2
fi
# jq reads the JSON outputs in tests/cli.
command -v jq >/dev/null 2>&1 || { [ "$(id -u)" = 0 ] && apt-get install -y -qq jq >/dev/null; } ||
  echo "warning: jq is missing; tests/cli needs it" >&2
