#!/usr/bin/env bash
# rbus-tail: the line for each envelope shape, --trace, filters, --json,
# --record replayed by rbus-publish --envelopes, the Ctrl-C summary, reconnects.
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1
export REDIS_URL=$R_URL TZ=UTC
CH=raptorflow.events

# The time column is the envelope's timestamp in local time (TZ=UTC here).
line_per_shape() {
    bg_ready A rbus-tail --count 3
    redis-cli -p "$R_PORT" publish "$CH.agent.task_started" \
        '{"id":"11111111-1111-4111-8111-111111111111","type":"agent.task_started","payload":{"agent_id":"RES-001","n":1},"priority":"high","request_id":"corr-456","source_agent_id":"a1","workspace_id":"ws-123","timestamp":"2026-11-26T16:10:30.237319Z"}' >/dev/null
    redis-cli -p "$R_PORT" publish "$CH.heartbeat" \
        '{"id":"e1","type":"heartbeat","payload":{"ok":true},"priority":"low","request_id":null,"source_agent_id":"a1","timestamp":"2026-11-26T16:10:31.5","version":"1.0","retry_count":0,"max_retries":3,"destination_guild":null}' >/dev/null
    redis-cli -p "$R_PORT" publish "$CH.campaign.created" \
        '{"event_type":"campaign.created","workspace_id":"ws-9","correlation_id":"c-1","payload":{"x":1},"timestamp":"2026-11-26T16:10:32.000001"}' >/dev/null
    wait "$A_PID" || die "tail failed: $(cat "$TEST_TMP/A.err")"
    expect_eq "$(cat "$TEST_TMP/A.out")" \
'16:10:30.237 high     agent.task_started  ws=ws-123 corr=corr-456  {"agent_id":"RES-001","n":1}
16:10:31.500 low      heartbeat  ws=- corr=-  {"ok":true}
16:10:32.000 normal   campaign.created  ws=ws-9 corr=c-1  {"x":1}' "one line per shape"
    expect_eq "$(cat "$TEST_TMP/A.err")" "" "nothing on stderr"
}

trace_one_flow() {
    bg_ready T rbus-tail --trace flow-1 --count 2
    local ts=2026-11-26T16:10:3
    for spec in "flow-1 agent.task_started 0.000000" "flow-2 agent.task_started 0.500000" "- agent.other 0.600000" \
                "flow-1 agent.task_completed 1.250000"; do
        set -- $spec
        local corr=null; [ "$1" != - ] && corr="\"$1\""
        redis-cli -p "$R_PORT" publish "$CH.$2" \
            "{\"type\":\"$2\",\"payload\":{},\"request_id\":$corr,\"timestamp\":\"${ts}$3Z\"}" >/dev/null
    done
    wait "$T_PID" || die "tail --trace failed: $(cat "$TEST_TMP/T.err")"
    expect_eq "$(cat "$TEST_TMP/T.out")" \
'16:10:30.000 normal   agent.task_started  ws=- corr=flow-1 +0.000s  {}
16:10:31.250 normal   agent.task_completed  ws=- corr=flow-1 +1.250s  {}' "only flow-1, with time since its start"
}

filters_and_json() {
    bg_ready F rbus-tail --json --min-priority high --where payload.stage=build --exclude 'agent.noise*' -w ws-1 --count 1
    rbus-publish -q -w ws-1 --priority normal agent.step stage=build || die "publish"
    rbus-publish -q -w ws-2 --priority high agent.step stage=build || die "publish"
    rbus-publish -q -w ws-1 --priority high agent.noise_x stage=build || die "publish"
    rbus-publish -q -w ws-1 --priority high agent.step stage=test || die "publish"
    rbus-publish -q -w ws-1 --priority critical agent.step stage=build n:=7 || die "publish"
    wait "$F_PID" || die "tail failed: $(cat "$TEST_TMP/F.err")"
    expect_lines "$(cat "$TEST_TMP/F.out")" 1 "one event passes"
    expect_eq "$(jq -r '[.priority,.workspace_id,.payload.n] | join(" ")' "$TEST_TMP/F.out")" "critical ws-1 7" "the matching event"
    expect_eq "$(jq -r '[keys_unsorted[]] | join(",")' "$TEST_TMP/F.out")" \
        "id,type,payload,priority,request_id,source_agent_id,workspace_id,timestamp" "--json is rbus-subscribe's envelope"
}

json_same_as_subscribe() {
    bg_ready J rbus-tail --json --count 2
    bg_ready S rbus-subscribe --all --count 2
    rbus-publish -q -c c-9 agent.one a=1 && rbus-publish -q agent.two b:=2 || die "publish"
    wait "$J_PID" && wait "$S_PID" || die "consumers failed"
    expect_eq "$(cat "$TEST_TMP/J.out")" "$(cat "$TEST_TMP/S.out")" "rbus-tail --json == rbus-subscribe"
}

record_then_replay() {
    local rec=$TEST_TMP/session.ndjson
    bg_ready RC rbus-tail --record "$rec" --count 3
    rbus-publish -q -c flow-r agent.task_started step:=1 || die "publish"
    redis-cli -p "$R_PORT" publish "$CH.campaign.created" \
        '{"event_type":"campaign.created","workspace_id":"ws-9","correlation_id":"flow-r","payload":{"name":"日本"},"timestamp":"2026-11-26T16:10:30"}' >/dev/null
    rbus-publish -q -c flow-r --priority critical agent.task_failed error=boom || die "publish"
    wait "$RC_PID" || die "tail failed: $(cat "$TEST_TMP/RC.err")"
    expect_lines "$(cat "$rec")" 3 "three envelopes recorded"
    expect_eq "$(jq -r .type "$rec" | tr '\n' ' ')" "agent.task_started campaign.created agent.task_failed " "recorded in order"
    expect_eq "$(jq -r '[keys_unsorted[]] | join(",")' "$rec" | sort -u)" \
        "id,type,payload,priority,request_id,source_agent_id,workspace_id,timestamp" "canonical envelopes"
    expect_match "$(sed -n 2p "$rec")" '"timestamp":"2026-11-26T16:10:30.000000Z"' "normalised"

    # Replay: the same ids and payloads arrive again.
    bg_ready RP rbus-subscribe --all --count 3
    rbus-publish --envelopes "$rec" > /dev/null 2> "$TEST_TMP/replay.err" || die "replay failed: $(cat "$TEST_TMP/replay.err")"
    wait "$RP_PID" || die "subscriber failed"
    expect_eq "$(jq -c '[.id,.payload,.request_id]' "$TEST_TMP/RP.out")" "$(jq -c '[.id,.payload,.request_id]' "$rec")" \
        "replayed with the same ids and payloads"

    # --record appends.
    bg_ready RC2 rbus-tail --record "$rec" --count 1
    rbus-publish -q agent.more || die "publish"
    wait "$RC2_PID" || die "tail failed"
    expect_lines "$(cat "$rec")" 4 "appended"
}

record_unwritable() {
    local rc=0 err
    err=$(rbus-tail --record /nonexistent/dir/x.ndjson --timeout 1s 2>&1 >/dev/null) || rc=$?
    expect_code "$rc" 1 "unwritable record file"
    expect_match "$err" '^rbus-tail: error: cannot open record file /nonexistent/dir/x.ndjson: No such file or directory$' "one error line"
    rc=0
    err=$(rbus-tail --trace '' --timeout 1s 2>&1 >/dev/null) || rc=$?
    expect_code "$rc" 2 "empty --trace"
}

summary_on_sigint() {
    bg_ready I rbus-tail 'agent.*' 'junk.*' --min-priority normal
    rbus-publish -q agent.task_started && rbus-publish -q agent.task_started && rbus-publish -q --priority critical agent.error &&
        rbus-publish -q --priority low agent.task_started || die "publish"
    redis-cli -p "$R_PORT" publish "$CH.junk.x" 'not json' >/dev/null
    wait_until 10 grep -q 'agent.error' "$TEST_TMP/I.out" || die "events not shown"
    wait_until 10 grep -q 'skipped invalid' "$TEST_TMP/I.err" || die "invalid not reported"
    kill -INT "$I_PID"
    local rc=0; wait "$I_PID" || rc=$?
    expect_code "$rc" 130 "SIGINT"
    expect_lines "$(cat "$TEST_TMP/I.out")" 3 "stdout has the events only"
    local err; err=$(grep -v '^WARN' "$TEST_TMP/I.err")
    expect_match "$err" '^rbus-tail: 3 events in [0-9.]+m?s \(5 received, 1 filtered out, 1 invalid, 0 reconnects\)' "summary head"
    expect_match "$err" $'\nby priority: critical 1, normal 2\nby type:\n  2  agent.task_started\n  1  agent.error$' "by priority and type"
    bg_ready Q rbus-tail -q
    kill -INT "$Q_PID"; rc=0; wait "$Q_PID" || rc=$?
    expect_code "$rc" 130 "SIGINT with -q"
    expect_eq "$(cat "$TEST_TMP/Q.err")" "" "-q: no summary"
}

reconnect_marker() {
    start_redis M || die "second server"
    local port=$M_PORT
    bg_ready RM rbus-tail -u "$M_URL" --count 1
    stop_pid "$M_PID"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$TEST_TMP" \
        --logfile "$TEST_TMP/m2.log" & track $!
    wait_until 15 has_patterns "$port" 1 || die "no resubscribe: $(cat "$TEST_TMP/RM.err")"
    # The marker comes as soon as the subscription is back, not with the next event.
    wait_until 10 grep -q '^-- reconnected' "$TEST_TMP/RM.out" || die "no marker before the next event"
    rbus-publish -q -u "$M_URL" agent.after || die "publish"
    wait "$RM_PID" || die "tail failed: $(cat "$TEST_TMP/RM.err")"
    expect_match "$(sed -n 1p "$TEST_TMP/RM.out")" \
        '^-- reconnected after [0-9.]+m?s; events published meanwhile were not received --$' "marker in the stream"
    expect_match "$(sed -n 2p "$TEST_TMP/RM.out")" 'agent\.after' "then the event"
    expect_match "$(cat "$TEST_TMP/RM.err")" 'WARN bus - reconnected after' "logged"
}

case_ "one line per envelope shape (rbus, BusEvent, legacy), piped" line_per_shape
case_ "--trace follows one correlation id" trace_one_flow
case_ "filters with --json" filters_and_json
case_ "--json prints what rbus-subscribe prints" json_same_as_subscribe
case_ "--record, replayed by rbus-publish --envelopes" record_then_replay
case_ "bad --record / --trace: one error line" record_unwritable
case_ "Ctrl-C prints the summary on stderr" summary_on_sigint
case_ "a reconnect is marked in the stream" reconnect_marker
