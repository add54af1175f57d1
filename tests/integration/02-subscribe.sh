#!/usr/bin/env bash
# rbus-subscribe, rbus-tail and rbus-stats against a real redis-server.
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1
export REDIS_URL=$R_URL

subscribe_count_into_jq() {
    bg_ready S rbus-subscribe agent.task_started --count 1
    rbus-publish -q agent.task_started agent_id=RES-001 task_type=research || die "publish failed"
    wait "$S_PID"; local rc=$?
    expect_code "$rc" 0 "subscribe --count 1"
    expect_eq "$(jq -r .payload.agent_id < "$TEST_TMP/S.out")" RES-001 "jq -r .payload.agent_id"
    expect_lines "$(cat "$TEST_TMP/S.out")" 1 "one line"
}

subscribe_pipeline_to_jq() {
    # The README's form: rbus-subscribe ... | jq, the subscriber started first.
    local ready=$TEST_TMP/jq.ready
    ( rbus-subscribe agent.task_started --count 1 --ready-file "$ready" | jq -r .payload.agent_id > "$TEST_TMP/jq.out" ) &
    local pid=$!; track "$pid"
    wait_until 10 test -e "$ready" || die "not ready"
    rbus-publish -q agent.task_started agent_id=RES-001 || die "publish failed"
    wait "$pid"
    expect_eq "$(cat "$TEST_TMP/jq.out")" RES-001 "jq output"
}

patterns_and_order() {
    bg_ready P rbus-subscribe 'agent.*' --count 3
    rbus-publish -q agent.task_started n:=1 && rbus-publish -q model.inference_complete n:=99 &&
        rbus-publish -q agent.task_completed n:=2 && rbus-publish -q agent.error n:=3 || die "publish failed"
    wait "$P_PID" || die "subscriber failed"
    expect_eq "$(jq -r .type < "$TEST_TMP/P.out" | tr '\n' ' ')" "agent.task_started agent.task_completed agent.error " "types in order"
}

timeout_exit_124_or_0() {
    local rc=0
    rbus-subscribe nothing.here --count 1 --timeout 300ms > "$TEST_TMP/t.out" || rc=$?
    expect_code "$rc" 124 "count not reached"
    rc=0
    rbus-subscribe nothing.here --timeout 300ms > "$TEST_TMP/t.out" || rc=$?
    expect_code "$rc" 0 "no count: deadline is success"
}

reads_other_shapes() {
    bg_ready L rbus-subscribe --all --count 3
    local ch=raptorflow.events
    redis-cli -p "$R_PORT" publish "$ch.campaign.created" \
        '{"event_type":"campaign.created","workspace_id":"ws-9","correlation_id":"c-1","payload":{"x":1},"timestamp":"2026-11-26T16:10:30.237319"}' >/dev/null
    redis-cli -p "$R_PORT" publish "$ch.heartbeat" \
        '{"id":"e1","type":"heartbeat","payload":{},"priority":"low","request_id":null,"source_agent_id":"a1","timestamp":"2026-11-26T16:10:30.5","version":"1.0","retry_count":0,"max_retries":3,"destination_guild":null}' >/dev/null
    redis-cli -p "$R_PORT" publish "$ch.junk" 'not json' >/dev/null
    redis-cli -p "$R_PORT" publish "$ch.last" '{"type":"x.last"}' >/dev/null
    wait "$L_PID" || die "subscriber failed: $(cat "$TEST_TMP/L.err")"
    local legacy bus
    legacy=$(sed -n 1p "$TEST_TMP/L.out"); bus=$(sed -n 2p "$TEST_TMP/L.out")
    expect_eq "$(jq -r '.type,.workspace_id,.request_id,.timestamp' <<< "$legacy" | tr '\n' ' ')" \
        "campaign.created ws-9 c-1 2026-11-26T16:10:30.237319Z " "legacy mapped"
    expect_match "$(jq -r .id <<< "$legacy")" '^[0-9a-f]{8}-[0-9a-f]{4}-5' "legacy gets a v5 id"
    expect_eq "$(jq -r '[keys_unsorted[]] | join(",")' <<< "$bus")" \
        "id,type,payload,priority,request_id,source_agent_id,workspace_id,timestamp,version,retry_count,max_retries,destination_guild" "BusEvent keys kept"
    expect_eq "$(jq -r .timestamp <<< "$bus")" "2026-11-26T16:10:30.500000Z" "naive timestamp normalised"
    expect_match "$(cat "$TEST_TMP/L.err")" "WARN bus - skipped invalid message on raptorflow.events.junk" "invalid reported"
}

head_closes_quietly() {
    local ready=$TEST_TMP/h.ready rc
    ( rbus-subscribe --all --ready-file "$ready" 2> "$TEST_TMP/h.err" | head -1 > "$TEST_TMP/h.out"; echo "${PIPESTATUS[0]}" > "$TEST_TMP/h.rc" ) &
    local pid=$!; track "$pid"
    wait_until 10 test -e "$ready" || die "not ready"
    for i in 1 2 3 4 5; do rbus-publish -q "agent.n$i" || die "publish failed"; [ -s "$TEST_TMP/h.rc" ] && break; done
    wait_until 10 test -s "$TEST_TMP/h.rc" || die "subscriber did not end after head closed"
    expect_eq "$(cat "$TEST_TMP/h.rc")" 0 "exit status under | head -1"
    expect_eq "$(cat "$TEST_TMP/h.err")" "" "quiet"
}

sigint_exits_130() {
    bg_ready I rbus-subscribe --all
    kill -INT "$I_PID"
    local rc=0; wait "$I_PID" || rc=$?
    expect_code "$rc" 130 "SIGINT"
    bg_ready T rbus-subscribe --all
    kill -TERM "$T_PID"
    rc=0; wait "$T_PID" || rc=$?
    expect_code "$rc" 143 "SIGTERM"
}

tail_line_piped() {
    bg_ready TL rbus-tail --count 2
    rbus-publish -q -w ws-123 -c corr-456 --priority high agent.task_started agent_id=RES-001 || die "publish"
    rbus-publish -q agent.error error=boom || die "publish"
    wait "$TL_PID" || die "tail failed"
    local first; first=$(sed -n 1p "$TEST_TMP/TL.out")
    expect_match "$first" '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} high +agent\.task_started  ws=ws-123 corr=corr-456  \{"agent_id":"RES-001"\}$' "tail line"
    expect_no "$(cat "$TEST_TMP/TL.out")" $'\e[' "no colour when piped"
    expect_match "$(sed -n 2p "$TEST_TMP/TL.out")" 'agent\.error  ws=- corr=-  \{"error":"boom"\}$' "second line"
}

stats_check_and_json() {
    local out rc
    out=$(rbus-stats --check); rc=$?
    expect_code "$rc" 0 "--check reachable"
    expect_match "$out" "^OK redis://127.0.0.1:$R_PORT/?0? reachable: redis [0-9]" "status line"
    bg_ready SJ rbus-subscribe agent.task_started
    out=$(rbus-stats --duration 0 --json) || die "stats --json failed"
    expect_match "$(jq -r .server.version <<< "$out")" '^[0-9]+\.' "version"
    expect_eq "$(jq -r '.channels[] | select(.channel=="raptorflow.events.agent.task_started") | .subscribers' <<< "$out")" 1 "subscriber count"
    local port; port=$(free_port)
    out=$(rbus-stats --check -u "redis://127.0.0.1:$port" 2>/dev/null); rc=$?
    expect_code "$rc" 3 "--check unreachable"
    expect_match "$out" "^UNREACHABLE" "status line when unreachable"
}

case_ "rbus-subscribe --count 1 | jq -r .payload.agent_id" subscribe_count_into_jq
case_ "piped into jq" subscribe_pipeline_to_jq
case_ "glob pattern, in order" patterns_and_order
case_ "--timeout exits 124 with --count, 0 without" timeout_exit_124_or_0
case_ "legacy and BusEvent shapes; invalid skipped" reads_other_shapes
case_ "| head -1 ends quietly with 0" head_closes_quietly
case_ "SIGINT 130, SIGTERM 143" sigint_exits_130
case_ "rbus-tail line piped" tail_line_piped
case_ "rbus-stats --check and --json" stats_check_and_json
