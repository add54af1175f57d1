#!/usr/bin/env bash
# rbus-subscribe filters, --exclude, --idle, and the shapes RaptorFlow's Python publishes.
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1
export REDIS_URL=$R_URL
CH=raptorflow.events

ids() { jq -r .payload.n < "$1" | tr '\n' ' '; }

workspace_isolation_by_default() {
    RAPTORBUS_WORKSPACE_ID=ws-1 bg_ready W rbus-subscribe --timeout 10s --all --count 2
    rbus-publish -q -w ws-2 a.b n:=1 && rbus-publish -q a.b n:=2 && rbus-publish -q -w ws-1 a.b n:=3 &&
        rbus-publish -q -w ws-1 a.b n:=4 || die "publish"
    wait "$W_PID" || die "subscriber failed"
    expect_eq "$(ids "$TEST_TMP/W.out")" "3 4 " "only ws-1 (from RAPTORBUS_WORKSPACE_ID)"
}

correlation_source_priority() {
    bg_ready C rbus-subscribe --timeout 10s --all --count 1 -c corr-9 --source-agent-id agent-7 --min-priority high
    rbus-publish -q -c corr-9 --source-agent-id agent-7 a.b n:=1 &&            # normal: below high
        rbus-publish -q -c corr-8 --source-agent-id agent-7 --priority high a.b n:=2 &&
        rbus-publish -q -c corr-9 --source-agent-id agent-6 --priority critical a.b n:=3 &&
        rbus-publish -q -c corr-9 --source-agent-id agent-7 --priority critical a.b n:=4 || die "publish"
    wait "$C_PID" || die "subscriber failed"
    expect_eq "$(ids "$TEST_TMP/C.out")" "4 " "all three filters"
    local rc=0; rbus-subscribe --min-priority urgent -u redis://127.0.0.1:1 2>/dev/null || rc=$?
    expect_code "$rc" 2 "bad --min-priority"
}

where_and_exclude() {
    bg_ready X rbus-subscribe --timeout 10s --where payload.status=ok --where 'payload.n!=2' --exclude 'agent.heart*' \
        --exclude model.noise 'agent.*' model.noise --count 2
    rbus-publish -q agent.heartbeat status=ok n:=1 && rbus-publish -q model.noise status=ok n:=9 &&
        rbus-publish -q agent.task status=ok n:=2 && rbus-publish -q agent.task status=bad n:=3 &&
        rbus-publish -q agent.task n:=4 && rbus-publish -q agent.task status=ok n:=5 &&
        rbus-publish -q agent.task status=ok || die "publish"
    wait "$X_PID" || die "subscriber failed: $(cat "$TEST_TMP/X.err")"
    expect_eq "$(ids "$TEST_TMP/X.out")" "5 null " "--where and --exclude (missing n is != 2)"
    local rc=0; rbus-subscribe --where payload.status -u redis://127.0.0.1:1 2>/dev/null || rc=$?
    expect_code "$rc" 2 "bad --where"
}

idle_exits_zero() {
    bg_ready I rbus-subscribe --timeout 10s --all --idle 400ms
    rbus-publish -q a.b n:=1 || die "publish"
    local rc=0; wait "$I_PID" || rc=$?
    expect_code "$rc" 0 "--idle"
    expect_eq "$(ids "$TEST_TMP/I.out")" "1 " "the event before going idle"
}

python_publisher_shapes() {
    bg_ready PY rbus-subscribe --timeout 10s --all --count 3
    /usr/bin/python3 - "$R_PORT" <<'PY' || die "python publisher failed"
import json, sys, uuid, datetime, redis
r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]))
ch = "raptorflow.events."
now = datetime.datetime.utcnow().isoformat()
# 1. what rbus writes
r.publish(ch + "agent.task_started", json.dumps({"id": str(uuid.uuid4()), "type": "agent.task_started",
    "payload": {"n": 1}, "priority": "high", "request_id": "c-1", "source_agent_id": None,
    "workspace_id": "ws-1", "timestamp": "2026-11-26T16:10:30.237319Z"}, separators=(",", ":")))
# 2. the BusEvent model (naive timestamp, extra keys)
r.publish(ch + "heartbeat", json.dumps({"id": str(uuid.uuid4()), "type": "heartbeat", "payload": {"n": 2},
    "priority": "low", "request_id": None, "source_agent_id": "agent-1", "timestamp": now,
    "version": "1.0", "retry_count": 0, "max_retries": 3, "destination_guild": None}))
# 3. the legacy publish() dict
r.publish(ch + "campaign.created", json.dumps({"event_type": "campaign.created", "workspace_id": "ws-9",
    "correlation_id": "c-3", "payload": {"n": 3}, "timestamp": now, "source": "legacy-service"}))
PY
    wait "$PY_PID" || die "subscriber failed: $(cat "$TEST_TMP/PY.err")"
    local out=$TEST_TMP/PY.out
    expect_eq "$(ids "$out")" "1 2 3 " "all three read, in order"
    expect_eq "$(sed -n 1p "$out" | jq -r '[.type,.priority,.request_id,.workspace_id] | join(" ")')" \
        "agent.task_started high c-1 ws-1" "rbus shape"
    expect_eq "$(sed -n 2p "$out" | jq -r '[.type,.workspace_id,.version,.max_retries] | map(tostring) | join(" ")')" \
        "heartbeat null 1.0 3" "BusEvent: keys kept"
    expect_match "$(sed -n 2p "$out" | jq -r .timestamp)" '^[0-9-]{10}T[0-9:]{8}\.[0-9]{6}Z$' "naive timestamp as UTC Z"
    expect_eq "$(sed -n 3p "$out" | jq -r '[.type,.workspace_id,.request_id,.source] | join(" ")')" \
        "campaign.created ws-9 c-3 legacy-service" "legacy keys mapped, unknown key kept"
    expect_eq "$(sed -n 3p "$out" | jq -r 'has("event_type") or has("correlation_id")')" false "legacy names replaced"
}

case_ "--workspace-id from RAPTORBUS_WORKSPACE_ID isolates by default" workspace_isolation_by_default
case_ "-c, --source-agent-id, --min-priority" correlation_source_priority
case_ "--where PATH=VALUE / PATH!=VALUE and --exclude" where_and_exclude
case_ "--idle exits 0 after silence" idle_exits_zero
case_ "three envelope shapes from a redis-py publisher" python_publisher_shapes
