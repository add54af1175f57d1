#!/usr/bin/env bash
# Faults: nothing listening at start (with and without --fail-soft), a server
# that accepts but never answers (SIGSTOPped), and a pause during tail/batch.
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1
export REDIS_URL=$R_URL
TOOLS=("rbus-publish a.b" "rbus-subscribe a.b" "rbus-tail" "rbus-stats" "rbus-stats --check")

refused_at_start() {
    local port t rc err
    port=$(free_port) || die "no free port"
    for t in "${TOOLS[@]}"; do
        rc=0; timeout -k 2 20 $t -u "redis://127.0.0.1:$port" > /dev/null 2> "$TEST_TMP/e" || rc=$?
        err=$(cat "$TEST_TMP/e")
        expect_code "$rc" 3 "$t refused"
        expect_lines "$err" 1 "$t: one line on stderr"
        expect_match "$err" "^${t%% *}: error: cannot connect to 127.0.0.1:$port: Connection refused$" "$t error line"
        rc=0; timeout -k 2 20 $t -u "redis://127.0.0.1:$port" --fail-soft > /dev/null 2> "$TEST_TMP/e" || rc=$?
        expect_code "$rc" 0 "$t --fail-soft"
        expect_match "$(cat "$TEST_TMP/e")" "^WARN bus - bus unreachable, continuing \(--fail-soft\): cannot connect" "$t --fail-soft warning"
        rc=0; RAPTORBUS_FAIL_SOFT=1 timeout -k 2 20 $t -u "redis://127.0.0.1:$port" > /dev/null 2>&1 || rc=$?
        expect_code "$rc" 0 "$t RAPTORBUS_FAIL_SOFT=1"
    done
}

paused_at_start_is_bounded() {
    local t rc start elapsed err
    kill -STOP "$R_PID"
    for t in "${TOOLS[@]}"; do
        start=$(date +%s%N)
        rc=0; timeout -k 2 20 $t --connect-timeout 500ms > /dev/null 2> "$TEST_TMP/e" || rc=$?
        elapsed=$((($(date +%s%N) - start) / 1000000))
        err=$(cat "$TEST_TMP/e")
        if [ "$rc" -ne 3 ] || [ "$elapsed" -gt 5000 ]; then kill -CONT "$R_PID"; fi
        expect_code "$rc" 3 "$t against a frozen server"
        expect_lines "$err" 1 "$t: one line on stderr"
        expect_match "$err" "^${t%% *}: error: no reply from 127.0.0.1:$R_PORT( within 500ms| to [A-Z]+)$" "$t error line"
        [ "$elapsed" -le 5000 ] || die "$t took ${elapsed}ms with --connect-timeout 500ms"
    done
    kill -CONT "$R_PID"
}

tail_notices_pause_and_reconnects() {
    bg_ready T timeout -k 2 30 rbus-tail --json --ping-interval 500ms 'paused.*' --count 1
    kill -STOP "$R_PID"
    wait_until 10 grep -q "connection lost: no reply to PING within 500ms" "$TEST_TMP/T.err"; local seen=$?
    kill -CONT "$R_PID"
    [ "$seen" -eq 0 ] || die "rbus-tail did not notice: $(cat "$TEST_TMP/T.err")"
    wait_until 15 grep -q "reconnected after" "$TEST_TMP/T.err" || die "no reconnect: $(cat "$TEST_TMP/T.err")"
    wait_until 10 sh -c "[ \"\$(redis-cli -p $R_PORT publish raptorflow.events.paused.x '{\"type\":\"paused.x\"}')\" = 1 ]" ||
        die "not resubscribed"
    local rc=0; wait "$T_PID" || rc=$?
    expect_code "$rc" 0 "--count 1 reached after the pause"
    expect_eq "$(jq -r .type "$TEST_TMP/T.out")" paused.x "event after SIGCONT"
}

# A pause shorter than the reply timeout: the batch waits and loses nothing.
batch_waits_through_a_short_pause() {
    local fifo=$TEST_TMP/fifo pub rc i
    mkfifo "$fifo"
    redis-cli -p "$R_PORT" subscribe raptorflow.events.paused.batch > "$TEST_TMP/sub" &
    track $!
    wait_until 10 has_subscribers "$R_PORT" raptorflow.events.paused.batch 1 || die "subscriber"
    timeout -k 2 60 rbus-publish --stdin paused.batch < "$fifo" > "$TEST_TMP/b.out" 2> "$TEST_TMP/b.err" &
    pub=$!; track "$pub"
    exec 7> "$fifo"
    for i in $(seq 1 5000); do echo "{\"i\":$i}"; done >&7
    wait_until 10 eval '[ "$(grep -c "" "$TEST_TMP/b.out")" -ge 5000 ]' || die "first part"
    kill -STOP "$R_PID"
    for i in $(seq 5001 10000); do echo "{\"i\":$i}"; done >&7
    sleep 2
    kill -CONT "$R_PID"
    exec 7>&-
    rc=0; wait "$pub" || rc=$?
    expect_code "$rc" 0 "batch through a 2s pause"
    expect_eq "$(grep -a '^published' "$TEST_TMP/b.err")" "published 10000, failed 0, invalid 0" "summary"
    wait_until 10 eval '[ "$(grep -c "^{\"id\"" "$TEST_TMP/sub")" -ge 10000 ]' || die "subscriber saw $(grep -c '^{"id"' "$TEST_TMP/sub")"
}

case_ "connection refused at start: exit 3, one line; --fail-soft and RAPTORBUS_FAIL_SOFT exit 0" refused_at_start
case_ "a frozen server at start: exit 3 within --connect-timeout" paused_at_start_is_bounded
case_ "rbus-tail: a SIGSTOPped server noticed by PING, reconnect after SIGCONT" tail_notices_pause_and_reconnects
case_ "a 2s pause mid-batch: nothing lost" batch_waits_through_a_short_pause
