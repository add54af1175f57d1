#!/usr/bin/env bash
# What a new user trips over on the reading side: full channel names copied
# from rbus-stats or PUBSUB CHANNELS, --channel outside the prefix, filters
# from the environment, silent timeouts, colour on a pipe, --metrics.
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1
export REDIS_URL=$R_URL
CH=raptorflow.events

full_channel_names_are_accepted() {
    # The subscriber gets the full name; it must wait on the type's channel, once prefixed.
    bg_ready S rbus-subscribe -v "$CH.agent.task_started" --count 1 --timeout 10s
    expect_match "$(cat "$TEST_TMP/S.err")" "\"$CH.agent.task_started\" is a full channel name: read as the type agent.task_started" \
        "said at -v"
    local out
    out=$(rbus-publish "$CH.agent.task_started" a=1 2> "$TEST_TMP/pub.err") || die "publish: $(cat "$TEST_TMP/pub.err")"
    expect_match "$out" '"type":"agent.task_started"' "published with the type, not the channel"
    wait "$S_PID" || die "subscriber: $(cat "$TEST_TMP/S.err")"
    expect_match "$(cat "$TEST_TMP/S.out")" '"type":"agent.task_started"' "received on the prefixed channel"
    # Never prefixed twice.
    bg_ready T rbus-tail --json "$CH.agent.*" --count 1 --timeout 10s
    wait_until 10 has_patterns "$R_PORT" 1 || die "tail pattern not subscribed"
    expect_eq "$(redis-cli -p "$R_PORT" pubsub numpat)" 1 "one pattern"
    rbus-publish -q agent.x || die "publish"
    wait "$T_PID" || die "tail: $(cat "$TEST_TMP/T.err")"
    expect_match "$(cat "$TEST_TMP/T.out")" '"type":"agent.x"' "tail matched agent.*"
}

channel_outside_the_prefix() {
    bg_ready S rbus-subscribe --channel sys.alert.critical --count 1 --timeout 10s
    expect_eq "$(numsub "$R_PORT" sys.alert.critical)" 1 "subscribed to the full channel"
    local out
    out=$(rbus-publish --channel sys.alert.critical alert.raised msg=disk 2>&1) || die "publish: $out"
    wait "$S_PID" || die "subscriber: $(cat "$TEST_TMP/S.err")"
    expect_match "$(cat "$TEST_TMP/S.out")" '"type":"alert.raised"' "received on sys.alert.critical"
    # rbus-stats lists and checks it.
    bg_ready T rbus-tail --json --channel sys.alert.warning --channel sys.alert.critical --count 1 --timeout 10s
    out=$(rbus-stats --json --duration 0 --channel sys.alert.warning)
    expect_eq "$(jq -c '[.channels[] | select(.channel == "sys.alert.warning") | .subscribers]' <<< "$out")" "[1]" \
        "rbus-stats --channel"
    rbus-stats --check --channel sys.alert.warning --min-subscribers sys.alert.warning=1 >/dev/null ||
        die "--min-subscribers on a --channel"
    redis-cli -p "$R_PORT" publish sys.alert.warning '{"type":"alert.w","payload":{}}' >/dev/null
    wait "$T_PID" || die "tail: $(cat "$TEST_TMP/T.err")"
    expect_match "$(cat "$TEST_TMP/T.out")" '"type":"alert.w"' "tail --channel"
    expect_match "$(rbus-tail --channel sys.a --channel sys.b --print-context)" '"channels":\["sys.a","sys.b"\]' \
        "--print-context lists them"
    local rc=0
    out=$(rbus-publish --channel a.b --channel c.d x.y 2>&1) || rc=$?
    expect_code "$rc" 2 "two --channel on publish"
    expect_match "$out" "^rbus-publish: error: --channel: rbus-publish sends each event on one channel" "one line"
}

timeouts_say_so() {
    local rc=0 err
    rbus-subscribe workflow.completed --count 2 --timeout 1s > "$TEST_TMP/out" 2> "$TEST_TMP/err" || rc=$?
    err=$(cat "$TEST_TMP/err")
    expect_code "$rc" 124 "subscribe timeout"
    expect_eq "$err" "rbus-subscribe: error: timed out after 1s: 0 of 2 events" "subscribe's one line"
    rc=0
    rbus-tail workflow.completed --count 1 --timeout 1s > "$TEST_TMP/out" 2> "$TEST_TMP/err" || rc=$?
    expect_code "$rc" 124 "tail timeout"
    expect_eq "$(cat "$TEST_TMP/err")" "rbus-tail: error: timed out after 1s: 0 of 1 event" "tail's one line"
    # Without --count the deadline is the plan: exit 0, nothing said.
    rc=0
    rbus-subscribe workflow.completed --timeout 1s > /dev/null 2> "$TEST_TMP/err" || rc=$?
    expect_code "$rc" 0 "no --count"
    expect_eq "$(cat "$TEST_TMP/err")" "" "quiet"
}

check_failure_has_its_error_line() {
    local rc=0 out err
    out=$(rbus-stats --check --min-subscribers nobody.listens=1 2> "$TEST_TMP/err") || rc=$?
    err=$(cat "$TEST_TMP/err")
    expect_code "$rc" 1 "threshold"
    expect_match "$out" "^FAIL redis://127.0.0.1:$R_PORT/0: nobody.listens has 0 subscriber\(s\) < 1" "status line on stdout"
    expect_eq "$err" "rbus-stats: error: check failed: nobody.listens has 0 subscriber(s) < 1" "one line on stderr"
    rc=0
    out=$(rbus-stats --check -u redis://127.0.0.1:1 2> "$TEST_TMP/err") || rc=$?
    err=$(cat "$TEST_TMP/err")
    expect_code "$rc" 3 "unreachable"
    expect_lines "$out" 1 "one status line"
    expect_match "$out" "^UNREACHABLE redis://127.0.0.1:1/0: " "UNREACHABLE on stdout"
    expect_lines "$err" 1 "one stderr line"
    expect_match "$err" "^rbus-stats: error: " "error form"
    expect_no "$err" "UNREACHABLE" "UNREACHABLE printed once"
}

no_colour_on_a_pipe_from_the_environment() {
    local out
    out=$(CLICOLOR_FORCE=1 rbus-publish agent.colour a=1)
    expect_no "$out" $'\x1b[' "CLICOLOR_FORCE does not colour data on a pipe"
    jq -e . <<< "$out" >/dev/null || die "jq reads it"
    out=$(rbus-publish --color always agent.colour a=1)
    expect_match "$out" $'\x1b\\[' "--color always does"
    bg_ready S env CLICOLOR_FORCE=1 rbus-subscribe agent.colour --count 1 --timeout 10s
    rbus-publish -q agent.colour || die "publish"
    wait "$S_PID" || die "subscriber"
    jq -e .id "$TEST_TMP/S.out" >/dev/null || die "subscriber's JSON is plain: $(cat -v "$TEST_TMP/S.out")"
    # Diagnostics do follow CLICOLOR_FORCE.
    local err
    err=$(CLICOLOR_FORCE=1 rbus-publish --priority bogus agent.colour 2>&1 >/dev/null)
    expect_match "$err" $'^rbus-publish: \x1b\\[31merror:' "diagnostics coloured by CLICOLOR_FORCE"
    err=$(rbus-publish --priority bogus agent.colour 2>&1 >/dev/null)
    expect_match "$err" '^rbus-publish: error: invalid priority' "not without it"
}

environment_filters_are_visible() {
    # At -v (and on a terminal) one note says that the environment filters.
    bg_ready S env RAPTORBUS_WORKSPACE_ID=ws-123 rbus-subscribe -v --all --timeout 20s --count 1 --metrics
    expect_match "$(cat "$TEST_TMP/S.err")" \
        "rbus-subscribe: note: only workspace ws-123 \(RAPTORBUS_WORKSPACE_ID\); unset it to see all events" "note"
    rbus-publish -q -w ws-other agent.f || die "publish"
    rbus-publish -q -w ws-other agent.f || die "publish"
    rbus-publish -q -w ws-123 agent.f || die "publish"
    wait "$S_PID" || die "subscriber"
    expect_eq "$(tail -1 "$TEST_TMP/S.err" | jq -c '[.received, .filtered]')" "[3,2]" "--metrics counts the filtered events"
    # On a terminal (script gives a pty), without -v.
    script -qec "env RAPTORBUS_CORRELATION_ID=corr-9 $BIN/rbus-subscribe --all --timeout 1s" /dev/null > "$TEST_TMP/pty" 2>&1
    expect_match "$(cat "$TEST_TMP/pty")" "note: only correlation id corr-9 \(RAPTORBUS_CORRELATION_ID\)" "note on a terminal"
    # Off a terminal and without -v, nothing.
    RAPTORBUS_WORKSPACE_ID=ws-123 rbus-subscribe --all --timeout 1s > /dev/null 2> "$TEST_TMP/err" || die "plain"
    expect_eq "$(cat "$TEST_TMP/err")" "" "no note in a script"
    # The tail summary names the filter.
    bg_ready T env RAPTORBUS_WORKSPACE_ID=ws-123 rbus-tail --timeout 20s
    rbus-publish -q -w ws-other agent.f || die "publish"
    rbus-publish -q -w ws-123 agent.f || die "publish"
    wait_until 10 grep -q agent.f "$TEST_TMP/T.out" || die "tail shows"
    kill -INT "$T_PID"
    wait "$T_PID"
    expect_match "$(cat "$TEST_TMP/T.err")" "1 filtered out" "summary count"
    expect_match "$(cat "$TEST_TMP/T.err")" "filtered by: workspace ws-123 \(RAPTORBUS_WORKSPACE_ID\)" "summary names it"
}

case_ "a full channel name is not prefixed twice" full_channel_names_are_accepted
case_ "--channel NAME outside the prefix, in every tool" channel_outside_the_prefix
case_ "a timeout prints one line" timeouts_say_so
case_ "rbus-stats --check: FAIL on stdout, one error line on stderr" check_failure_has_its_error_line
case_ "CLICOLOR_FORCE colours diagnostics, not data on a pipe" no_colour_on_a_pipe_from_the_environment
case_ "filters from the environment are visible" environment_filters_are_visible

stats_shows_server_and_channels_at_once() {
    # A long window: the server and channel sections are out before it ends.
    rbus-stats --duration 60s > "$TEST_TMP/st.out" 2> "$TEST_TMP/st.err" &
    local pid=$! rc=0
    track "$pid"
    wait_until 10 grep -q '^CHANNELS' "$TEST_TMP/st.out" || die "no channel section while sampling: $(cat "$TEST_TMP/st.err")"
    grep -q '^SERVER' "$TEST_TMP/st.out" || die "no server section"
    kill -0 "$pid" 2>/dev/null || die "rbus-stats ended before its window"
    grep -q '^TRAFFIC' "$TEST_TMP/st.out" && die "traffic before the window ended"
    kill -INT "$pid"
    wait "$pid" || rc=$?
    expect_code "$rc" 130 "Ctrl-C ends the window early"
    grep -q '^TRAFFIC' "$TEST_TMP/st.out" || die "traffic after the window"
    # On a terminal, a line says that it samples.
    script -qec "$BIN/rbus-stats --duration 1s" /dev/null > "$TEST_TMP/pty" 2>&1
    expect_match "$(cat "$TEST_TMP/pty")" "sampling 1s\.\.\. \(Ctrl-C ends it early\)" "sampling line on a terminal"
}
case_ "bare rbus-stats shows server and channels at once" stats_shows_server_and_channels_at_once
