#!/usr/bin/env bash
# tap.sh SCRIPT: runs one integration or fault script as scripts/test does
# (bash, at most 300 s) and turns its PASS/FAIL lines into TAP for `meson test`.
# Every other line becomes a TAP comment; a script that exits non-zero without
# a FAIL line counts as one failing case, as in scripts/test.
set -uo pipefail
script=$1
n=0
failed=0
rc=1
while IFS= read -r line; do
  case $line in
    'PASS '*) n=$((n + 1)); echo "ok $n - ${line#PASS }" ;;
    'FAIL '*) n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - ${line#FAIL }" ;;
    '__tap_rc '*) rc=${line#__tap_rc } ;;
    *) echo "# $line" ;;
  esac
done < <(timeout -k 10 300 bash "$script" 2>&1; echo "__tap_rc $?")
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  n=$((n + 1)); echo "not ok $n - $(basename "$script" .sh): script exited $rc"
fi
echo "1..$n"
