# start-server.sh: sourced by tests/cli/annotate_*.sh. start_server [FAULTS] [extra args]
# runs tests/llm-server/server.mjs on a free 127.0.0.1 port and sets PORT, URL and
# SERVER_LOG; the server is stopped when the test exits. When node, the npm packages
# (tools/install-test-deps.sh) or the model are missing, or llama.cpp cannot load here,
# the test is reported skipped (exit 77) with the reason, never passed.
SERVER_DIR="$(cd "$(dirname "$0")/../llm-server" && pwd)"
MODEL="${WINNOW_SHARED:-../shared}/data/models/stories260K.gguf"
SERVER_PID=""

stop_server() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
}
trap stop_server EXIT

start_server() {
    command -v node >/dev/null 2>&1 || { echo "skipped: node is not installed"; exit 77; }
    [ -d "$SERVER_DIR/node_modules/node-llama-cpp" ] ||
        { echo "skipped: node-llama-cpp not installed (run tools/install-test-deps.sh)"; exit 77; }
    [ -f "$MODEL" ] || { echo "skipped: model not found: $MODEL"; exit 77; }
    SERVER_LOG="$TMP/server.log"
    : > "$SERVER_LOG"
    rm -f "$TMP/port"
    faults="$1"
    shift
    NODE_LLAMA_CPP_SKIP_DOWNLOAD=true node "$SERVER_DIR/server.mjs" --model "$MODEL" \
        --port-file "$TMP/port" --log "$SERVER_LOG" --faults "$faults" "$@" \
        2>"$TMP/server.err" &
    SERVER_PID=$!
    i=0
    while [ ! -s "$TMP/port" ]; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            SERVER_PID=""
            echo "skipped: llama.cpp (node-llama-cpp) cannot run here: $(grep -v '^\s*$' "$TMP/server.err" | tail -1)"
            exit 77
        fi
        i=$((i + 1))
        [ $i -gt 600 ] && { echo "test server did not start in 60s"; exit 1; }
        sleep 0.1
    done
    PORT=$(cat "$TMP/port")
    URL="http://127.0.0.1:$PORT/v1"
}

# requests the server has seen so far
server_requests() { wc -l < "$SERVER_LOG" | tr -d ' '; }
