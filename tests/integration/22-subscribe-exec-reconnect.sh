#!/usr/bin/env bash
# rbus-subscribe --exec handlers; reconnecting after a restart and a frozen server.
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1
export REDIS_URL=$R_URL

exec_per_event_in_order() {
    local log=$TEST_TMP/handled
    bg_ready X rbus-subscribe --timeout 10s 'job.*' --count 3 --metrics \
        --exec "jq -c -j .payload >> $log; echo \" \$RBUS_EVENT_TYPE \$RBUS_PRIORITY \$RBUS_REQUEST_ID \$RBUS_WORKSPACE_ID \$RBUS_CHANNEL\" >> $log; [ \"\$RBUS_PRIORITY\" != high ]"
    rbus-publish -q -w ws-1 -c c-1 job.a n:=1 && rbus-publish -q --priority high job.b n:=2 &&
        rbus-publish -q job.c n:=3 || die "publish"
    local rc=0; wait "$X_PID" || rc=$?
    expect_code "$rc" 0 "a failing handler is not fatal"
    expect_eq "$(cat "$log")" $'{"n":1} job.a normal c-1 ws-1 raptorflow.events.job.a\n{"n":2} job.b high   raptorflow.events.job.b\n{"n":3} job.c normal   raptorflow.events.job.c' "handlers in order with their environment"
    expect_eq "$(cat "$TEST_TMP/X.out")" "" "handlers replace printing"
    expect_match "$(cat "$TEST_TMP/X.err")" "WARN bus - handler failed \(exit 1\) for job.b " "failure logged"
    expect_eq "$(tail -1 "$TEST_TMP/X.err" | jq .failed)" 1 "failure counted"
}

exec_fail_fast() {
    bg_ready F rbus-subscribe --timeout 10s --all --exec 'exit 7' --exec-fail-fast
    rbus-publish -q job.a || die "publish"
    local rc=0; wait "$F_PID" || rc=$?
    expect_code "$rc" 1 "--exec-fail-fast"
    expect_match "$(cat "$TEST_TMP/F.err")" "^rbus-subscribe: error: handler failed \(exit 7\)" "error line"
}

reconnects_after_restart() {
    bg_ready S rbus-subscribe --timeout 20s agent.after --count 1 --metrics
    restart_redis R || die "redis did not restart"
    # Publish until the resubscribed client receives (each publish reports its receivers).
    wait_until 15 sh -c "[ \"\$(redis-cli -p $R_PORT publish raptorflow.events.agent.after '{\"type\":\"agent.after\",\"payload\":{\"n\":1}}')\" = 1 ]" ||
        die "no resubscription: $(cat "$TEST_TMP/S.err")"
    wait "$S_PID" || die "subscriber failed: $(cat "$TEST_TMP/S.err")"
    expect_eq "$(jq -r .payload.n < "$TEST_TMP/S.out")" 1 "event after the restart"
    expect_match "$(cat "$TEST_TMP/S.err")" "WARN bus - reconnected after [0-9.]+m?s; events published meanwhile were not received" "gap logged"
    expect_eq "$(tail -1 "$TEST_TMP/S.err" | jq .reconnects)" 1 "reconnects counted"
}

no_reconnect_exits_3() {
    start_redis N || die "redis"
    bg_ready NR rbus-subscribe -u "$N_URL" --all --no-reconnect
    stop_pid "$N_PID"
    local rc=0; wait "$NR_PID" || rc=$?
    expect_code "$rc" 3 "--no-reconnect"
    expect_match "$(cat "$TEST_TMP/NR.err")" "^rbus-subscribe: error: connection to the bus lost" "error line"
}

ping_notices_frozen_server() {
    start_redis P || die "redis"
    bg_ready FZ rbus-subscribe -u "$P_URL" --connect-timeout 500ms --ping-interval 500ms --all --count 1
    kill -STOP "$P_PID"
    wait_until 10 grep -q "connection lost: no reply to PING within 500ms" "$TEST_TMP/FZ.err"; local seen=$?
    kill -CONT "$P_PID"
    [ "$seen" -eq 0 ] || die "lost connection not reported: $(cat "$TEST_TMP/FZ.err")"
    wait_until 15 grep -q "reconnected after" "$TEST_TMP/FZ.err" || die "no reconnect: $(cat "$TEST_TMP/FZ.err")"
    redis-cli -p "$P_PORT" publish raptorflow.events.a.b '{"type":"a.b"}' >/dev/null
    wait "$FZ_PID" || die "subscriber failed"
    expect_eq "$(jq -r .type < "$TEST_TMP/FZ.out")" a.b "received after SIGCONT"
}

case_ "--exec per event, in order, failures counted" exec_per_event_in_order
case_ "--exec-fail-fast exits 1" exec_fail_fast
case_ "redis restarted: reconnect, resubscribe, report the gap" reconnects_after_restart
case_ "--no-reconnect exits 3" no_reconnect_exits_3
case_ "SIGSTOPped server noticed by PING" ping_notices_frozen_server
