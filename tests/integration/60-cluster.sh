#!/usr/bin/env bash
# Redis Cluster: plain pub/sub through any node, sharded pub/sub (--sharded)
# across three masters, a slot moved during a sharded subscription, patterns
# refused in sharded mode, rbus-stats per node, --sharded on a standalone server.
. "$(dirname "$0")/../lib.sh"
start_redis_cluster C 3 || exit 1
read -r P1 P2 P3 <<< "$C_PORTS"
PREFIX=raptorflow.events

# One event type per master, found by asking the cluster (the slots are its choice).
declare -A TYPE_ON
for i in $(seq 1 60); do
    t=cluster.kind$i
    p=$(cluster_owner "$P1" "$PREFIX.$t") || continue
    [ -n "${TYPE_ON[$p]:-}" ] || TYPE_ON[$p]=$t
done
T1=${TYPE_ON[$P1]:-} T2=${TYPE_ON[$P2]:-} T3=${TYPE_ON[$P3]:-}

plain_pubsub_across_nodes() {
    # Subscribed on node 1, published through node 3: the cluster bus broadcasts.
    bg_ready S rbus-subscribe -u "redis://127.0.0.1:$P1" agent.task_started --count 1
    rbus-publish -q -u "redis://127.0.0.1:$P3" agent.task_started n:=1 || die "publish through node 3 failed"
    wait "$S_PID" || die "subscriber failed: $(cat "$TEST_TMP/S.err")"
    expect_eq "$(jq -r .payload.n < "$TEST_TMP/S.out")" 1 "event through another node"
    # Seeds tried in order: a dead first seed is skipped.
    local dead; dead=$(free_port)
    bg_ready D rbus-subscribe -u "redis://127.0.0.1:$dead,127.0.0.1:$P2" 'agent.*' --count 1
    rbus-publish -q -u "redis://127.0.0.1:$P1" agent.error n:=2 || die "publish failed"
    wait "$D_PID" || die "pattern subscriber failed: $(cat "$TEST_TMP/D.err")"
    expect_eq "$(jq -r .type < "$TEST_TMP/D.out")" agent.error "PSUBSCRIBE through a seed"
}

sharded_across_three_masters() {
    [ -n "$T1" ] && [ -n "$T2" ] && [ -n "$T3" ] || die "no event type found for every master"
    bg_ready S rbus-subscribe --sharded -u "$C_URL" "$T1" "$T2" "$T3" --count 6
    # One SSUBSCRIBE connection per owning master.
    expect_eq "$(redis-cli -p "$P1" pubsub shardnumsub "$PREFIX.$T1" | sed -n 2p)" 1 "shard subscriber on node 1"
    expect_eq "$(redis-cli -p "$P3" pubsub shardnumsub "$PREFIX.$T3" | sed -n 2p)" 1 "shard subscriber on node 3"
    local t out
    for t in "$T1" "$T2" "$T3"; do
        # Any one node as the URL: the topology comes from the cluster.
        out=$(rbus-publish --sharded -u "redis://127.0.0.1:$P2" -v "$t" via=single 2>&1 >/dev/null) ||
            die "sharded publish of $t failed: $out"
        expect_match "$out" "receivers=1" "SPUBLISH reached the subscriber of $t"
    done
    # A batch, pipelined per node, with the environment variable instead of the flag.
    for t in "$T1" "$T2" "$T3"; do
        rbus-publish --dry-run -q "$t" via=batch > /dev/null || die "dry run"
        printf '{"id":"%s","type":"%s","payload":{"via":"batch"},"priority":"normal","request_id":null,"source_agent_id":null,"workspace_id":null,"timestamp":"2026-11-27T00:00:00.000000Z"}\n' \
            "$(cat /proc/sys/kernel/random/uuid)" "$t"
    done > "$TEST_TMP/batch.ndjson"
    out=$(RAPTORBUS_SHARDED=1 rbus-publish -u "$C_URL" --envelopes "$TEST_TMP/batch.ndjson" 2>&1 >/dev/null) ||
        die "sharded batch failed: $out"
    expect_match "$out" "published 3, failed 0, invalid 0" "batch summary"
    wait "$S_PID" || die "subscriber failed: $(cat "$TEST_TMP/S.err")"
    expect_eq "$(jq -r '.type' < "$TEST_TMP/S.out" | sort | tr '\n' ' ')" \
        "$(printf '%s\n' "$T1" "$T2" "$T3" "$T1" "$T2" "$T3" | sort | tr '\n' ' ')" "every event, every slot"
    expect_eq "$(jq -r 'select(.payload.via=="batch") | .type' < "$TEST_TMP/S.out" | wc -l)" 3 "batch events"
}

slot_moved_during_subscription() {
    local ch=$PREFIX.$T1 slot id_from id_to
    slot=$(redis-cli -p "$P1" cluster keyslot "$ch")
    id_from=$(redis-cli -p "$P1" cluster myid)
    id_to=$(redis-cli -p "$P2" cluster myid)
    bg_ready M rbus-subscribe --sharded -u "$C_URL" "$T1" --count 2
    rbus-publish -q --sharded -u "$C_URL" "$T1" phase=before || die "publish before the move failed"
    wait_until 10 grep -q '"before"' "$TEST_TMP/M.out" || die "event before the move not received"
    # Move the slot from node 1 to node 2 (no keys in it: pub/sub needs no MIGRATE).
    redis-cli -p "$P2" cluster setslot "$slot" importing "$id_from" > /dev/null
    redis-cli -p "$P1" cluster setslot "$slot" migrating "$id_to" > /dev/null
    expect_eq "$(redis-cli -p "$P1" cluster getkeysinslot "$slot" 10)" "" "no keys to MIGRATE"
    for p in $P2 $P1 $P3; do redis-cli -p "$p" cluster setslot "$slot" node "$id_to" > /dev/null; done
    wait_until 20 grep -q "resubscribed to $ch on 127.0.0.1:$P2" "$TEST_TMP/M.err" ||
        die "no resubscription: $(cat "$TEST_TMP/M.err")"
    expect_match "$(cat "$TEST_TMP/M.err")" "slot $slot of $ch moved away from 127.0.0.1:$P1" "move reported"
    rbus-publish -q --sharded -u "redis://127.0.0.1:$P1" "$T1" phase=after || die "publish after the move failed"
    wait "$M_PID" || die "subscriber failed: $(cat "$TEST_TMP/M.err")"
    expect_eq "$(jq -r .payload.phase < "$TEST_TMP/M.out" | tr '\n' ' ')" "before after " "delivery kept going"
}

patterns_with_sharded_exit_2() {
    local rc=0 err
    err=$(rbus-subscribe --sharded -u "$C_URL" 'agent.*' 2>&1) || rc=$?
    expect_code "$rc" 2 "pattern with --sharded"
    expect_match "$err" "error: --sharded needs event types" "clear message"
    rc=0; rbus-subscribe --sharded -u "$C_URL" --all > /dev/null 2>&1 || rc=$?
    expect_code "$rc" 2 "--all with --sharded"
    rc=0; RAPTORBUS_SHARDED=1 rbus-tail -u "$C_URL" > /dev/null 2>&1 || rc=$?
    expect_code "$rc" 2 "rbus-tail (everything) with --sharded"
    expect_match "$(rbus-subscribe --sharded --print-context)" '"sharded":true,"sharded_source":"--sharded"' "print-context"
}

stats_per_node() {
    bg_ready S rbus-subscribe --sharded -u "$C_URL" "$T2"
    local json
    json=$(rbus-stats --sharded -u "$C_URL" --json --duration 0) || die "rbus-stats failed"
    expect_eq "$(jq '.nodes | length' <<< "$json")" 3 "three nodes"
    expect_eq "$(jq -r '[.nodes[].role] | unique | join(",")' <<< "$json")" master "roles"
    expect_eq "$(jq -r '.nodes[0].version' <<< "$json")" "$(redis-cli -p "$P1" info server | sed -n 's/^redis_version:\(.*\)\r$/\1/p')" "version"
    expect_eq "$(jq -r --arg ch "$PREFIX.$T2" '.channels[] | select(.channel==$ch) | .subscribers' <<< "$json")" 1 \
        "sharded channel counted with PUBSUB SHARDNUMSUB"
    local table
    table=$(rbus-stats --sharded -u "$C_URL" --duration 0 --color never) || die "table failed"
    expect_match "$table" "127.0.0.1:$P3" "node in the table"
}

sharded_on_standalone_server() {
    start_redis R || die "no server"
    bg_ready S rbus-subscribe --sharded -u "$R_URL" agent.task_started --count 1
    rbus-publish -q --sharded -u "$R_URL" agent.task_started n:=7 || die "publish failed"
    wait "$S_PID" || die "subscriber failed"
    expect_eq "$(jq -r .payload.n < "$TEST_TMP/S.out")" 7 "SPUBLISH/SSUBSCRIBE on one server"
}

case_ "plain publish/subscribe through different cluster nodes" plain_pubsub_across_nodes
case_ "sharded: channels in slots on all three masters all delivered" sharded_across_three_masters
case_ "sharded: a slot moved during a subscription keeps delivery going" slot_moved_during_subscription
case_ "sharded: patterns and --all are usage errors (exit 2)" patterns_with_sharded_exit_2
case_ "rbus-stats reports per node on a cluster" stats_per_node
case_ "sharded mode on a standalone Redis 7" sharded_on_standalone_server
