#!/usr/bin/env bash
# rbus-stats: the traffic window counts exactly what a known load published,
# and the channels show the subscribers the test attached.
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1
export REDIS_URL=$R_URL

# Starts rbus-stats ARGS... in the background into $TEST_TMP/ST.out and waits
# until its pattern subscription is on the server (so its window has begun).
start_stats() {
    rbus-stats "$@" > "$TEST_TMP/ST.out" 2> "$TEST_TMP/ST.err" &
    ST_PID=$!
    track "$ST_PID"
    wait_until 10 has_patterns "$R_PORT" 1 || die "rbus-stats did not subscribe: $(cat "$TEST_TMP/ST.err")"
}

# publish_lines TYPE N ARGS...: N events of TYPE through rbus-publish --stdin; envelopes into $TEST_TMP/TYPE.pub
publish_lines() {
    local type=$1 n=$2; shift 2
    seq "$n" | sed 's/.*/{"n":&}/' | rbus-publish "$type" --stdin "$@" > "$TEST_TMP/$type.pub" ||
        die "rbus-publish $type failed"
}

# Bytes of the envelopes a publish_lines call printed (one per line, newline not counted).
published_bytes() { awk '{ n += length($0) } END { print n + 0 }' "$TEST_TMP/$1.pub"; }

jqv() { jq -r "$1" < "$TEST_TMP/ST.out"; }

counts_match_known_load() {
    start_stats --duration 3s --json
    publish_lines agent.task_started 6 -w ws-1
    publish_lines model.inference_complete 4 --priority high
    local old legacy
    old=$(date -u -d '-10 seconds' +%Y-%m-%dT%H:%M:%S.%6N)
    legacy="{\"event_type\":\"model.inference_complete\",\"workspace_id\":\"ws-2\",\"payload\":{},\"timestamp\":\"$old\"}"
    redis-cli -p "$R_PORT" publish raptorflow.events.model.inference_complete "$legacy" > /dev/null
    redis-cli -p "$R_PORT" publish raptorflow.events.junk 'not json' > /dev/null
    redis-cli -p "$R_PORT" publish raptorflow.events.junk '[1,2]' > /dev/null
    redis-cli -p "$R_PORT" publish other.events.agent.task_started '{"type":"agent.task_started"}' > /dev/null
    wait "$ST_PID" || die "rbus-stats failed: $(cat "$TEST_TMP/ST.err")"
    expect_lines "$(cat "$TEST_TMP/ST.out")" 1 "one JSON object"
    expect_eq "$(jqv .traffic.events)" 11 "events in the window"
    expect_eq "$(jqv '.traffic.by_type["agent.task_started"].events')" 6 "agent.task_started"
    expect_eq "$(jqv '.traffic.by_type["model.inference_complete"].events')" 5 "model.inference_complete"
    expect_eq "$(jqv '.traffic.by_type | length')" 2 "two types"
    expect_eq "$(jqv '.traffic.by_priority | [.normal.events, .high.events] | @tsv')" "7	4" "by priority"
    expect_eq "$(jqv '.traffic.by_workspace | [.["ws-1"].events, .["ws-2"].events, .["-"].events] | @tsv')" "6	1	4" \
        "by workspace"
    expect_eq "$(jqv .traffic.invalid)" 2 "invalid messages"
    local bytes=$(( $(published_bytes agent.task_started) + $(published_bytes model.inference_complete) + ${#legacy} ))
    expect_eq "$(jqv .traffic.bytes)" "$bytes" "bytes of the valid events"
    expect_eq "$(jqv '.traffic.seconds >= 3 and .traffic.seconds < 3.5')" true "window length"
    expect_eq "$(jqv '(.traffic.events_per_second - .traffic.events / .traffic.seconds) | fabs < 1e-9')" true "events/s"
    expect_eq "$(jqv '(.traffic.bytes_per_second - .traffic.bytes / .traffic.seconds) | fabs < 1e-6')" true "bytes/s"
    expect_eq "$(jqv '(.traffic.by_type["agent.task_started"].per_second - 6 / .traffic.seconds) | fabs < 1e-9')" true \
        "per-type rate"
    # One event of 11 is 10 s late: it is the p99; the others are fresh.
    expect_eq "$(jqv '.traffic.lag_ms.samples')" 11 "lag samples"
    expect_eq "$(jqv '.traffic.lag_ms.p99 >= 10000 and .traffic.lag_ms.p99 < 12000')" true "lag p99 ~10s: $(jqv .traffic.lag_ms)"
    expect_eq "$(jqv '.traffic.lag_ms.p50 < 1000')" true "lag p50 fresh: $(jqv .traffic.lag_ms)"
}

workspace_filter() {
    start_stats -w ws-1 --duration 2s --json
    publish_lines agent.task_started 3 -w ws-1
    publish_lines agent.task_started 2 -w ws-2
    publish_lines agent.task_started 1
    wait "$ST_PID" || die "rbus-stats failed"
    expect_eq "$(jqv .workspace_id)" ws-1 "workspace_id"
    expect_eq "$(jqv .traffic.events)" 3 "only ws-1 events"
    expect_eq "$(jqv .traffic.other_workspaces)" 3 "events of other workspaces"
    expect_eq "$(jqv '.traffic.by_workspace | keys | join(",")')" ws-1 "one workspace"
}

subscriber_counts() {
    bg_ready S1 rbus-subscribe agent.task_started
    bg_ready S2 rbus-subscribe agent.task_started workflow.completed
    bg_ready S3 rbus-subscribe 'model.*'
    local out
    out=$(rbus-stats --duration 0 --json) || die "rbus-stats failed"
    expect_eq "$(jq -r '.traffic' <<< "$out")" null "no window with --duration 0"
    expect_eq "$(jq -r '.channels[] | "\(.channel)=\(.subscribers)"' <<< "$out" | tr '\n' ' ')" \
        "raptorflow.events.agent.task_started=2 raptorflow.events.workflow.completed=1 " "channels and subscribers"
    expect_eq "$(jq -r .pattern_subscriptions <<< "$out")" 1 "pattern subscriptions"
    # The table, piped: no colour, one aligned row per channel.
    out=$(rbus-stats --duration 0) || die "rbus-stats table failed"
    expect_no "$out" $'\e[' "colour when piped"
    expect_match "$out" $'\n  raptorflow\\.events\\.agent\\.task_started +2 +- *\n' "agent row"
    expect_match "$out" "1 pattern subscription" "pattern count in the table"
}

published_counters() {
    seq 4 | sed 's/.*/{"n":&}/' | rbus-publish -q agent.task_started --stdin --record-metrics || die "publish failed"
    local out
    out=$(rbus-stats --duration 0 --json) || die "rbus-stats failed"
    expect_eq "$(jq -r '.published_counters["raptorflow.events.agent.task_started"]' <<< "$out")" 4 "metrics counter"
}

case_ "window counts match a known load (types, priorities, workspaces, bytes, lag)" counts_match_known_load
case_ "-w counts one workspace" workspace_filter
case_ "channels show the attached subscribers" subscriber_counts
case_ "metrics:channel:*:published counters" published_counters
