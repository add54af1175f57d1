#!/usr/bin/env bash
# Faults: the disk full (/dev/full) for --dead-letter, rbus-tail --record and stdout.
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1
export REDIS_URL=$R_URL
[ -w /dev/full ] || { echo "PASS /dev/full not available: skipped"; exit 0; }

dead_letter_disk_full() {
    local rc err
    rc=0; printf '{"a":1}\n[1]\n' | timeout -k 2 20 rbus-publish --stdin full.dl --dead-letter /dev/full \
        > /dev/null 2> "$TEST_TMP/e" || rc=$?
    err=$(cat "$TEST_TMP/e")
    expect_code "$rc" 1 "exit code"
    expect_eq "$(grep -c '^rbus-publish: error:' <<< "$err")" 1 "one error line"
    expect_match "$(tail -1 <<< "$err")" "^rbus-publish: error: cannot write dead-letter file /dev/full: No space left on device$" "error line"
}

record_disk_full() {
    local rc
    bg_ready T timeout -k 2 20 rbus-tail --record /dev/full 'full.*'
    rbus-publish -q full.rec x=1 || die "publish"
    rc=0; wait "$T_PID" || rc=$?
    expect_code "$rc" 1 "exit code"
    expect_eq "$(cat "$TEST_TMP/T.err")" "rbus-tail: error: cannot write record file /dev/full: No space left on device" "one error line"
}

stdout_disk_full() {
    local rc
    rc=0; timeout -k 2 20 rbus-publish full.out x=1 > /dev/full 2> "$TEST_TMP/e" || rc=$?
    expect_code "$rc" 1 "rbus-publish > /dev/full"
    expect_eq "$(cat "$TEST_TMP/e")" "rbus-publish: error: cannot write to stdout: No space left on device" "publish error"
    timeout -k 2 20 rbus-subscribe 'full.*' --ready-file "$TEST_TMP/S.ready" > /dev/full 2> "$TEST_TMP/S.err" &
    local sub=$!; track "$sub"
    wait_until 10 test -e "$TEST_TMP/S.ready" || die "not ready"
    rbus-publish -q full.sub x=1 || die "publish"
    rc=0; wait "$sub" || rc=$?
    expect_code "$rc" 1 "rbus-subscribe > /dev/full"
    expect_eq "$(cat "$TEST_TMP/S.err")" "rbus-subscribe: error: cannot write to stdout: No space left on device" "subscribe error"
}

case_ "--dead-letter on a full disk: exit 1, one clear error" dead_letter_disk_full
case_ "rbus-tail --record on a full disk: exit 1, one clear error" record_disk_full
case_ "stdout on a full disk: exit 1, one clear error" stdout_disk_full
