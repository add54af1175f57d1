#!/usr/bin/env bash
# Redis Sentinel: redis+sentinel:// URLs resolve the master; a running
# subscriber follows a failover to the new master.
. "$(dirname "$0")/../lib.sh"
start_redis M || exit 1
start_redis R --replicaof 127.0.0.1 "$M_PORT" || exit 1
wait_until 10 sh -c "redis-cli -p $R_PORT info replication | grep -q master_link_status:up" || {
    echo "replica did not sync" >&2; exit 1; }
start_sentinel S m "$M_PORT" || exit 1
SURL=redis+sentinel://127.0.0.1:$S_PORT/m

run() {  # run CMD...: sets RC, OUT, ERR
    RC=0
    "$@" > "$TEST_TMP/run.out" 2> "$TEST_TMP/run.err" || RC=$?
    OUT=$(cat "$TEST_TMP/run.out"); ERR=$(cat "$TEST_TMP/run.err")
}
master_port() { redis-cli -p "$S_PORT" sentinel get-master-addr-by-name m | sed -n 2p; }
master_is() { [ "$(master_port)" = "$1" ]; }
# The sentinel knows a replica on PORT that it could promote.
sentinel_has_replica() {
    redis-cli -p "$S_PORT" sentinel replicas m | grep -qx "$1" &&
        ! redis-cli -p "$S_PORT" sentinel replicas m | grep -q 'disconnected\|s_down'
}

publish_subscribe_through_sentinel() {
    bg_ready A rbus-subscribe -u "$SURL" --timeout 10s -n 1 agent.sentinel
    run rbus-publish -v -u "$SURL" agent.sentinel n:=1
    expect_code "$RC" 0 "publish"
    expect_match "$ERR" "INFO bus - master \"m\" is 127\.0\.0\.1:$M_PORT \(sentinel 127\.0\.0\.1:$S_PORT\)" "resolved master logged"
    expect_match "$ERR" "receivers=1" "the subscriber is on the same master"
    wait "$A_PID" || die "subscriber failed: $(cat "$TEST_TMP/A.err")"
    expect_eq "$(jq -c .payload < "$TEST_TMP/A.out")" '{"n":1}' "event received"
    run rbus-stats --check -u "$SURL"
    expect_code "$RC" 0 "rbus-stats --check through the sentinel: $OUT $ERR"
}

print_context_redacts() {
    RAPTORBUS_SENTINEL_PASSWORD=s3ntinel-secret run rbus-subscribe --print-context \
        -u "redis+sentinel://u:data-secret@127.0.0.1:$S_PORT,127.0.0.1:1/m/2"
    expect_code "$RC" 0 "--print-context"
    expect_eq "$(jq -r .url <<< "$OUT")" "redis+sentinel://u:***@127.0.0.1:$S_PORT,127.0.0.1:1/m/2" "url redacted"
    expect_eq "$(jq -r .sentinel_password <<< "$OUT")" "***" "sentinel password hidden"
    expect_eq "$(jq -r .sentinel_password_source <<< "$OUT")" "RAPTORBUS_SENTINEL_PASSWORD" "its source"
    expect_no "$OUT$ERR" "secret" "no secret printed"
}

sentinel_master_outside_cluster_hosts() {
    run rbus-publish -u "$SURL" --connect-timeout 1s --cluster-hosts 10.0.0.0/8 agent.sentinel n:=1
    expect_code "$RC" 3 "a master outside --cluster-hosts"
    expect_match "$ERR" "refusing to send credentials to 127\.0\.0\.1:$M_PORT \(named by a sentinel\): not in --cluster-hosts 10\.0\.0\.0/8" "the refusal"
    run rbus-publish -u "$SURL" --cluster-hosts 127.0.0.1 agent.sentinel n:=1
    expect_code "$RC" 0 "a master inside --cluster-hosts: $ERR"
}

sentinel_password() {
    # A second sentinel that wants a password, watching the same master under another name.
    start_sentinel P pm "$M_PORT" "requirepass s3ntinel-pw" || die "sentinel"
    local url=redis+sentinel://127.0.0.1:$P_PORT/pm
    run rbus-publish -u "$url" agent.pw
    expect_code "$RC" 3 "no sentinel password"
    expect_eq "$ERR" "rbus-publish: error: no sentinel answered for master \"pm\": sentinel 127.0.0.1:$P_PORT requires a password: use --sentinel-password-file or RAPTORBUS_SENTINEL_PASSWORD" "hint"
    RAPTORBUS_SENTINEL_PASSWORD=wrong-pw run rbus-publish -u "$url" agent.pw
    expect_code "$RC" 3 "wrong sentinel password"
    expect_match "$ERR" "authentication to sentinel 127\.0\.0\.1:$P_PORT failed" "wrong password named"
    expect_no "$ERR" "wrong-pw" "secret not printed"
    RAPTORBUS_SENTINEL_PASSWORD=s3ntinel-pw run rbus-publish -q -u "$url" agent.pw
    expect_code "$RC" 0 "RAPTORBUS_SENTINEL_PASSWORD: $ERR"
    printf 's3ntinel-pw\n' > "$TEST_TMP/spw"
    run rbus-publish -q --sentinel-password-file "$TEST_TMP/spw" -u "$url" agent.pw
    expect_code "$RC" 0 "--sentinel-password-file: $ERR"
    stop_pid "$P_PID"  # it must not take part in the failover below
}

unknown_master_exits_3() {
    run rbus-publish -u "redis+sentinel://127.0.0.1:$S_PORT/nope" agent.x
    expect_code "$RC" 3 "unknown master"
    expect_eq "$ERR" "rbus-publish: error: cannot resolve master \"nope\" through sentinel(s) 127.0.0.1:$S_PORT: sentinel 127.0.0.1:$S_PORT does not know a master named \"nope\"" "message"
    run rbus-subscribe --timeout 5s -u "redis+sentinel://127.0.0.1:$S_PORT/nope" agent.x
    expect_code "$RC" 3 "rbus-subscribe too"
}

no_sentinel_reachable_exits_3() {
    local p1 p2
    p1=$(free_port) && p2=$(free_port) || die "ports"
    REDIS_URL="redis+sentinel://:hunter2@127.0.0.1:$p1,127.0.0.1:$p2/m" run rbus-publish agent.x
    expect_code "$RC" 3 "unreachable"
    expect_lines "$ERR" 1 "one error line"
    expect_match "$ERR" "^rbus-publish: error: no sentinel answered for master \"m\": cannot connect to 127\.0\.0\.1:$p1: .*; cannot connect to 127\.0\.0\.1:$p2: " "both sentinels named"
    expect_no "$ERR" "hunter2" "secret not printed"
}

subscriber_follows_failover() {
    wait_until 20 sentinel_has_replica "$R_PORT" || die "the sentinel does not know the replica"
    bg_ready F rbus-subscribe -u "$SURL" --timeout 40s -n 2 --ping-interval 500ms agent.failover
    bg_ready T rbus-tail --json -u "$SURL" --timeout 40s -n 2 agent.failover
    rbus-publish -q -u "$SURL" agent.failover n:=1 || die "publish before"
    stop_pid "$M_PID"
    wait_until 30 master_is "$R_PORT" || die "no failover: $(master_port)"
    wait_until 20 has_subscribers "$R_PORT" raptorflow.events.agent.failover 2 ||
        die "not resubscribed on the new master: $(cat "$TEST_TMP/F.err")"
    run rbus-publish -v -u "$SURL" agent.failover n:=2
    expect_code "$RC" 0 "publish after the failover: $ERR"
    expect_match "$ERR" "master \"m\" is 127\.0\.0\.1:$R_PORT" "publish resolved the new master"
    expect_match "$ERR" "receivers=2" "both consumers on the new master"
    wait "$F_PID" || die "subscriber failed: $(cat "$TEST_TMP/F.err")"
    wait "$T_PID" || die "tail failed: $(cat "$TEST_TMP/T.err")"
    expect_eq "$(jq -c .payload < "$TEST_TMP/F.out" | tr '\n' ' ')" '{"n":1} {"n":2} ' "subscriber: before and after"
    expect_eq "$(jq -c .payload < "$TEST_TMP/T.out" | tr '\n' ' ')" '{"n":1} {"n":2} ' "tail: before and after"
    local err; err=$(cat "$TEST_TMP/F.err")
    expect_match "$err" "WARN bus - master \"m\" moved from 127\.0\.0\.1:$M_PORT to 127\.0\.0\.1:$R_PORT" "move logged"
    expect_match "$err" "WARN bus - reconnected after [0-9.]+m?s; events published meanwhile were not received \(now on 127\.0\.0\.1:$R_PORT\)" "gap logged with the new master"
}

# The sentinels name another master while the subscriber's connection stays
# up (as when a demoted master keeps its clients): the PING tick notices.
master_moved_without_disconnect() {
    master_is "$R_PORT" || die "needs the failover above: master is $(master_port)"
    restart_redis M || die "restart the old master"
    bg_ready G rbus-subscribe -u "$SURL" --timeout 30s -n 1 --ping-interval 300ms agent.moved
    redis-cli -p "$S_PORT" sentinel remove m > /dev/null &&
        redis-cli -p "$S_PORT" sentinel monitor m 127.0.0.1 "$M_PORT" 1 > /dev/null || die "re-monitor"
    wait_until 15 has_subscribers "$M_PORT" raptorflow.events.agent.moved 1 ||
        die "did not move: $(cat "$TEST_TMP/G.err")"
    rbus-publish -q -u "$SURL" agent.moved n:=3 || die "publish"
    wait "$G_PID" || die "subscriber failed: $(cat "$TEST_TMP/G.err")"
    expect_eq "$(jq -c .payload < "$TEST_TMP/G.out")" '{"n":3}' "event from the master the sentinels name"
    local err; err=$(cat "$TEST_TMP/G.err")
    expect_match "$err" "connection lost: sentinel 127\.0\.0\.1:$S_PORT reports master \"m\" at 127\.0\.0\.1:$M_PORT, no longer 127\.0\.0\.1:$R_PORT" "why it moved"
    expect_match "$err" "\(now on 127\.0\.0\.1:$M_PORT\)" "where it went"
}

case_ "publish, subscribe and stats through a redis+sentinel:// URL" publish_subscribe_through_sentinel
case_ "--print-context shows the sentinel URL redacted" print_context_redacts
case_ "--cluster-hosts: a master a sentinel names outside the list is refused" sentinel_master_outside_cluster_hosts
case_ "the sentinels' own password: --sentinel-password-file, RAPTORBUS_SENTINEL_PASSWORD" sentinel_password
case_ "an unknown master name exits 3 naming the sentinel" unknown_master_exits_3
case_ "no sentinel reachable exits 3 naming each one" no_sentinel_reachable_exits_3
case_ "after the master is killed, running consumers resume on the new master" subscriber_follows_failover
case_ "when the sentinels name another master, a quiet subscriber moves on its PING tick" master_moved_without_disconnect
