#!/usr/bin/env bash
# rbus-stats --watch: JSON lines when piped, one per interval; Ctrl-C ends it with 130.
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1
export REDIS_URL=$R_URL

events_seen() { [ "$(jq -s 'map(.traffic.events) | add' < "$1")" = "$2" ]; }

watch_json_lines() {
    local started; started=$(date +%s.%N)
    rbus-stats --watch --interval 300ms > "$TEST_TMP/W.out" 2> "$TEST_TMP/W.err" &
    local pid=$!
    track "$pid"
    wait_until 10 has_patterns "$R_PORT" 1 || die "no subscription"
    rbus-publish -q agent.task_started n:=1 || die "publish failed"
    wait_until 10 lines_at_least "$TEST_TMP/W.out" 3 || die "fewer than 3 refreshes"
    wait_until 10 events_seen "$TEST_TMP/W.out" 1 || die "the event was not counted"
    kill -INT "$pid"
    wait "$pid"; local rc=$?
    local elapsed; elapsed=$(echo "$(date +%s.%N) - $started" | bc)
    expect_code "$rc" 130 "SIGINT"
    expect_eq "$(jq -s 'map(.traffic.events) | add' < "$TEST_TMP/W.out")" 1 "the event counted once across windows"
    # Each window is one interval, not the time since the start: none shorter
    # than the interval, and all of them together no longer than the run (a
    # condition that holds however loaded the machine is).
    expect_eq "$(jq -s --argjson run "$elapsed" \
        '(map(.traffic.seconds > 0.25) | all) and (map(.traffic.seconds) | add) <= $run' < "$TEST_TMP/W.out")" true \
        "each window about one interval"
    expect_eq "$(jq -r -s 'map(.pattern_subscriptions) | unique | join(",")' < "$TEST_TMP/W.out")" 1 \
        "own pattern subscription counted"
}

watch_server_only() {
    rbus-stats --watch --duration 0 --interval 200ms > "$TEST_TMP/W0.out" 2> /dev/null &
    local pid=$!
    track "$pid"
    wait_until 10 lines_at_least "$TEST_TMP/W0.out" 2 || die "fewer than 2 refreshes"
    kill -TERM "$pid"
    wait "$pid"; local rc=$?
    expect_code "$rc" 143 "SIGTERM"
    expect_eq "$(jq -s 'map(.traffic == null) | all' < "$TEST_TMP/W0.out")" true "no window"
    expect_eq "$(redis-cli -p "$R_PORT" pubsub numpat)" 0 "no subscription left"
}

watch_usage() {
    local rc
    rbus-stats --watch --duration 5s 2> "$TEST_TMP/err"; rc=$?
    expect_code "$rc" 2 "--watch with --duration"
    rbus-stats --watch --prometheus 2> /dev/null; rc=$?
    expect_code "$rc" 2 "--watch with --prometheus"
    rbus-stats --interval 1s 2> /dev/null; rc=$?
    expect_code "$rc" 2 "--interval without --watch"
}

case_ "--watch piped: JSON lines, SIGINT 130" watch_json_lines
case_ "--watch --duration 0: server only, SIGTERM 143" watch_server_only
case_ "--watch usage errors exit 2" watch_usage
