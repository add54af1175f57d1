#!/usr/bin/env bash
# A master of a Redis Cluster killed under --sharded traffic: after the
# cluster promotes its replica, a running sharded subscriber resubscribes on
# the new master (topology read again) and a running batch publisher sends the
# rest of its events there; nothing is lost or failed.
. "$(dirname "$0")/../lib.sh"
start_redis_cluster F 3 1 || exit 1
read -r -a PORTS <<< "$F_PORTS"
PREFIX=raptorflow.events

role_of() { redis-cli -p "$1" role 2>/dev/null | head -1; }
# master_of_channel CHANNEL: the port of the master that accepts SPUBLISH for it.
master_of_channel() {
    local p
    for p in "${PORTS[@]}"; do
        [ "$(role_of "$p")" = master ] || continue
        [[ "$(redis-cli -p "$p" spublish "$1" probe 2>&1)" =~ ^[0-9]+$ ]] && { echo "$p"; return 0; }
    done
    return 1
}
# replica_of PORT: the port of a replica that follows the master on PORT.
replica_of() {
    local p
    for p in "${PORTS[@]}"; do
        [ "$(redis-cli -p "$p" role 2>/dev/null | sed -n 3p)" = "$1" ] && { echo "$p"; return 0; }
    done
    return 1
}
shard_subscribers() { redis-cli -p "$1" pubsub shardnumsub "$2" | sed -n 2p; }

master_killed_during_sharded_traffic() {
    local type=failover.probe ch old new fifo pub rc pid i
    ch=$PREFIX.$type
    old=$(master_of_channel "$ch") || die "no master owns $ch"
    wait_until 10 replica_of "$old" > /dev/null || die "no replica of $old"
    new=$(replica_of "$old")
    wait_until 20 sh -c "redis-cli -p $new info replication | grep -q '^master_link_status:up'" || die "replica $new not in sync"
    bg_ready S timeout -k 2 60 rbus-subscribe --sharded -u "$F_URL" "$type" --count 2
    fifo=$TEST_TMP/fifo
    mkfifo "$fifo"
    timeout -k 2 60 rbus-publish --sharded -u "$F_URL" --stdin --retries 10 "$type" < "$fifo" \
        > "$TEST_TMP/P.out" 2> "$TEST_TMP/P.err" &
    pub=$!; track "$pub"
    exec 7> "$fifo"
    echo '{"phase":"before"}' >&7
    wait_until 10 grep -q '"before"' "$TEST_TMP/S.out" || die "first event not received: $(cat "$TEST_TMP/S.err")"

    for i in "${!PORTS[@]}"; do [ "${PORTS[$i]}" = "$old" ] && pid=$(cut -d' ' -f$((i + 1)) <<< "$F_PIDS"); done
    kill -9 "$pid"
    wait_until 30 sh -c "[ \"\$(redis-cli -p $new role 2>/dev/null | head -1)\" = master ]" || die "no failover to $new"
    wait_until 20 sh -c "redis-cli -p $new cluster info | grep -q '^cluster_state:ok'" || die "cluster not ok after failover"
    # The subscriber notices, reads the topology again and subscribes on the new master.
    wait_until 30 sh -c "[ \"\$(redis-cli -p $new pubsub shardnumsub $ch | sed -n 2p)\" = 1 ]" ||
        die "subscriber not on the new master: $(cat "$TEST_TMP/S.err")"

    echo '{"phase":"after"}' >&7
    exec 7>&-
    rc=0; wait "$pub" || rc=$?
    expect_code "$rc" 0 "batch publisher across the failover ($(tail -3 "$TEST_TMP/P.err"))"
    expect_match "$(cat "$TEST_TMP/P.err")" "published 2, failed 0, invalid 0" "batch summary"
    expect_match "$(cat "$TEST_TMP/P.err")" "127.0.0.1:$old is down .*; its slots are now served by 127.0.0.1:$new" \
        "the publisher says where it went"
    rc=0; wait "$S_PID" || rc=$?
    expect_code "$rc" 0 "subscriber --count 2"
    expect_eq "$(jq -r .payload.phase "$TEST_TMP/S.out" | tr '\n' ' ')" "before after " "both events, in order"
    expect_match "$(cat "$TEST_TMP/S.err")" "reconnect" "the subscriber reports the reconnect"
}

case_ "sharded subscriber and batch publisher follow a master failover" master_killed_during_sharded_traffic
