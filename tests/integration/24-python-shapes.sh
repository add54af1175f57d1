#!/usr/bin/env bash
# What RaptorFlow's Python services publish, serialised as Python does it
# (json.dumps with its ", " / ": " separators and \u escapes, isoformat()
# +00:00 timestamps, pydantic's BusEvent with a naive timestamp, the legacy
# publish() dict without an id), read through rbus-subscribe, rbus-tail and
# rbus-stats; and rbus-stats when the server drops its connection mid-window.
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1
export REDIS_URL=$R_URL TZ=UTC
CH=raptorflow.events

# The four messages, written by Python itself.
python3 - "$TEST_TMP" <<'PY'
import json, sys, uuid
out = sys.argv[1]
canonical = ('{"id":"11111111-1111-4111-8111-111111111111","type":"agent.task_started","payload":{"n":1},'
             '"priority":"high","request_id":"r-0","source_agent_id":null,"workspace_id":"ws-1",'
             '"timestamp":"2026-11-26T16:10:30.237319Z"}')
dumps = json.dumps({"id": "e-1", "type": "agent.task_started",
                    "payload": {"n": 1.0, "s": "café", "big": 1e5, "tags": ["a", "b"]},
                    "priority": "high", "request_id": "r-1", "source_agent_id": None, "workspace_id": "ws-1",
                    "timestamp": "2026-11-26T16:10:30.237319+00:00"})
bus_event = json.dumps({"id": "b-1", "type": "model.inference_complete", "payload": {"k": "v"},
                        "priority": "normal", "source_agent_id": "agent-1", "request_id": None,
                        "timestamp": "2026-11-26T16:10:31.500000", "version": "1.0", "retry_count": 0,
                        "max_retries": 3, "destination_guild": None}, separators=(",", ":"))
legacy = json.dumps({"event_type": "campaign.created", "workspace_id": "ws-9", "correlation_id": "c-1",
                     "payload": {"x": [1, 2]}, "timestamp": "2026-11-26T16:10:32.000001+00:00"})
for name, text in [("canonical", canonical), ("dumps", dumps), ("bus_event", bus_event), ("legacy", legacy)]:
    open(f"{out}/{name}.json", "w").write(text)
# Every reader derives the id of an id-less message from its bytes: UUID v5, URL namespace.
open(f"{out}/legacy.id", "w").write(str(uuid.uuid5(uuid.NAMESPACE_URL, legacy)))
PY

publish_all() {
    redis-cli -p "$R_PORT" publish "$CH.agent.task_started" "$(cat "$TEST_TMP/canonical.json")" > /dev/null
    redis-cli -p "$R_PORT" publish "$CH.agent.task_started" "$(cat "$TEST_TMP/dumps.json")" > /dev/null
    redis-cli -p "$R_PORT" publish "$CH.model.inference_complete" "$(cat "$TEST_TMP/bus_event.json")" > /dev/null
    redis-cli -p "$R_PORT" publish "$CH.campaign.created" "$(cat "$TEST_TMP/legacy.json")" > /dev/null
}

expected_envelopes() {
    cat "$TEST_TMP/canonical.json"; echo
    echo '{"id":"e-1","type":"agent.task_started","payload":{"n":1.0,"s":"café","big":100000.0,"tags":["a","b"]},"priority":"high","request_id":"r-1","source_agent_id":null,"workspace_id":"ws-1","timestamp":"2026-11-26T16:10:30.237319Z"}'
    echo '{"id":"b-1","type":"model.inference_complete","payload":{"k":"v"},"priority":"normal","request_id":null,"source_agent_id":"agent-1","workspace_id":null,"timestamp":"2026-11-26T16:10:31.500000Z","version":"1.0","retry_count":0,"max_retries":3,"destination_guild":null}'
    echo "{\"id\":\"$(cat "$TEST_TMP/legacy.id")\",\"type\":\"campaign.created\",\"payload\":{\"x\":[1,2]},\"priority\":\"normal\",\"request_id\":\"c-1\",\"source_agent_id\":null,\"workspace_id\":\"ws-9\",\"timestamp\":\"2026-11-26T16:10:32.000001Z\"}"
}

subscribe_normalises_every_shape() {
    bg_ready S rbus-subscribe --all --count 4
    publish_all
    wait "$S_PID" || die "subscribe failed: $(cat "$TEST_TMP/S.err")"
    expect_eq "$(cat "$TEST_TMP/S.out")" "$(expected_envelopes)" "one normalised envelope per shape"
    expect_eq "$(cat "$TEST_TMP/S.err")" "" "nothing on stderr"
}

subscribe_filters_and_templates_on_python_shapes() {
    bg_ready W rbus-subscribe --all --count 2 --where payload.s=café --format '{type} {request_id} {payload.n} {payload.tags.1} {timestamp}'
    bg_ready C rbus-subscribe --all --count 1 -c c-1 --format '{id} {workspace_id} {payload}'
    publish_all
    rbus-publish -q agent.task_started s=café n:=2 -c r-2 || die "publish"
    wait "$W_PID" && wait "$C_PID" || die "subscribe failed: $(cat "$TEST_TMP/W.err" "$TEST_TMP/C.err")"
    expect_eq "$(head -1 "$TEST_TMP/W.out")" "agent.task_started r-1 1.0 b 2026-11-26T16:10:30.237319Z" \
        "--where on a json.dumps payload, fields from its template"
    expect_eq "$(cat "$TEST_TMP/C.out")" "$(cat "$TEST_TMP/legacy.id") ws-9 {\"x\":[1,2]}" \
        "the legacy correlation_id is the request_id"
}

tail_shows_every_shape() {
    bg_ready T rbus-tail --count 4 --record "$TEST_TMP/rec.ndjson"
    publish_all
    wait "$T_PID" || die "tail failed: $(cat "$TEST_TMP/T.err")"
    expect_eq "$(cat "$TEST_TMP/T.out")" \
'16:10:30.237 high     agent.task_started  ws=ws-1 corr=r-0  {"n":1}
16:10:30.237 high     agent.task_started  ws=ws-1 corr=r-1  {"n":1.0,"s":"café","big":100000.0,"tags":["a","b"]}
16:10:31.500 normal   model.inference_complete  ws=- corr=-  {"k":"v"}
16:10:32.000 normal   campaign.created  ws=ws-9 corr=c-1  {"x":[1,2]}' "one line per shape"
    expect_eq "$(cat "$TEST_TMP/rec.ndjson")" "$(expected_envelopes)" "--record holds the normalised envelopes"
}

stats_counts_every_shape() {
    rbus-stats --duration 3s --json > "$TEST_TMP/ST.out" 2> "$TEST_TMP/ST.err" &
    local pid=$!
    track "$pid"
    wait_until 10 has_patterns "$R_PORT" 1 || die "rbus-stats did not subscribe: $(cat "$TEST_TMP/ST.err")"
    publish_all
    wait "$pid" || die "rbus-stats failed: $(cat "$TEST_TMP/ST.err")"
    expect_eq "$(jq -r '.traffic | [.events, .invalid, .by_type["agent.task_started"].events,
        .by_type["model.inference_complete"].events, .by_type["campaign.created"].events,
        .by_workspace["ws-1"].events, .by_workspace["-"].events, .connection_drops] | join(" ")' "$TEST_TMP/ST.out")" \
        "4 0 2 1 1 2 1 0" "every shape counted, by type and workspace, no drop"
}

# rbus-stats is stopped (SIGSTOP) while a burst overflows its output buffer, so
# that the server drops it; resumed, it must reconnect, end its window and report.
stats_run_through_drop() {
    local name=$1; shift
    redis-cli -p "$R_PORT" config set client-output-buffer-limit "pubsub 64kb 32kb 60" > /dev/null
    rbus-stats --duration 4s "$@" > "$TEST_TMP/$name.out" 2> "$TEST_TMP/$name.err" &
    local pid=$!
    track "$pid"
    wait_until 10 has_patterns "$R_PORT" 1 || die "rbus-stats did not subscribe: $(cat "$TEST_TMP/$name.err")"
    kill -STOP "$pid"
    local pad
    pad=$(head -c 8000 /dev/zero | tr '\0' x)
    seq 3000 | sed "s/.*/{\"n\":&,\"pad\":\"$pad\"}/" | rbus-publish -q agent.burst --stdin || die "burst"
    wait_until 10 has_patterns "$R_PORT" 0 || die "the server did not drop rbus-stats"
    kill -CONT "$pid"
    wait "$pid"
    expect_code $? 0 "rbus-stats reports after a drop"
    redis-cli -p "$R_PORT" config set client-output-buffer-limit "pubsub 32mb 8mb 60" > /dev/null
    expect_match "$(cat "$TEST_TMP/$name.err")" "connection dropped" "the drop is logged"
}

stats_reports_a_dropped_connection() {
    stats_run_through_drop J --json
    expect_eq "$(jq -r '.traffic | [.connection_drops >= 1, .counts_are_lower_bounds, .dropped_seconds >= 0] | join(" ")' \
        "$TEST_TMP/J.out")" "true true true" "--json states the loss"
    stats_run_through_drop T
    expect_match "$(cat "$TEST_TMP/T.out")" "connection dropped by the server [0-9]+ time\(s\), [0-9.]+s without a subscription: the counts are lower bounds" \
        "the table states the loss"
    stats_run_through_drop P --prometheus
    expect_match "$(cat "$TEST_TMP/P.out")" $'\nrbus_window_connection_drops [1-9]' "--prometheus states the loss"
    stats_run_through_drop K --check
    expect_match "$(cat "$TEST_TMP/K.out")" "^OK .*; connection dropped by the server [0-9]+ time\(s\).*lower bounds" \
        "the --check line states the loss"
}

case_ "subscribe normalises every shape" subscribe_normalises_every_shape
case_ "subscribe filters and templates on Python shapes" subscribe_filters_and_templates_on_python_shapes
case_ "tail shows every shape" tail_shows_every_shape
case_ "stats counts every shape" stats_counts_every_shape
case_ "stats reports a dropped connection" stats_reports_a_dropped_connection
