#!/bin/sh
# Runs every cmocka test binary given on the command line, shows the output of those that
# fail, and ends with one line "unit: N passed, N failed, N skipped" summed over all.
# Environment: WINNOW (path of the binary under test), WINNOW_SHARED (../shared by default).
cd "$(dirname "$0")/.." || exit 1
: "${WINNOW_SHARED:=$(pwd)/../shared}"
export WINNOW_SHARED
passed=0 failed=0 skipped=0 broken=""
for t in "$@"; do
    out=$("$t" 2>&1)
    rc=$?
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    s=$(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | tail -1)
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
    if [ $rc -ne 0 ] || [ "${f:-0}" -gt 0 ]; then
        printf '%s\n' "$out"
        [ -z "$f" ] && failed=$((failed + 1))   # crashed before its summary
        broken="$broken $(basename "$t")"
    else
        printf '  %-28s %3s passed%s\n' "$(basename "$t")" "${p:-0}" "${s:+, $s skipped}"
    fi
done
[ -n "$broken" ] && echo "failing:$broken"
echo "unit: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
