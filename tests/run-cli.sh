#!/bin/sh
# Runs the CLI tests tests/cli/*.sh. Each is a sh script run with WINNOW (the binary),
# WINNOW_SHARED and a fresh TMP directory; exit 0 = pass, 77 = skipped (it prints why), other
# = fail. Ends with "cli: N passed, N failed, N skipped".
cd "$(dirname "$0")/.." || exit 1
: "${WINNOW:=$(pwd)/winnow}"
: "${WINNOW_SHARED:=$(pwd)/../shared}"
export WINNOW WINNOW_SHARED
passed=0 failed=0 skipped=0 broken=""
for t in tests/cli/*.sh; do
    [ -e "$t" ] || continue
    TMP=$(mktemp -d)
    export TMP
    start=$(date +%s)
    out=$(sh "$t" 2>&1)
    rc=$?
    secs=$(( $(date +%s) - start ))
    rm -rf "$TMP"
    name=$(basename "$t" .sh)
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1)); printf '  %-36s ok %4ss\n' "$name" "$secs"
    elif [ $rc -eq 77 ]; then
        skipped=$((skipped + 1)); printf '  %-36s SKIPPED: %s\n' "$name" "$(printf '%s' "$out" | tail -1)"
    else
        failed=$((failed + 1)); broken="$broken $name"
        printf '  %-36s FAILED (exit %d)\n%s\n' "$name" "$rc" "$out" | sed 's/^/    /'
    fi
done
[ -n "$broken" ] && echo "failing:$broken"
echo "cli: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
