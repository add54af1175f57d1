#!/usr/bin/env bash
# rbus-publish against a real redis-server: the envelope on the wire, context
# from the environment and flags, exit codes for bad input.
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1

# A plain redis-cli SUBSCRIBE receives the envelope exactly as RaptorFlow expects it.
redis_cli_receives_envelope() {
    local ch=raptorflow.events.agent.task_started
    redis-cli -p "$R_PORT" subscribe "$ch" > "$TEST_TMP/cli.out" &
    local pid=$!; track "$pid"
    wait_until 10 has_subscribers "$R_PORT" "$ch" 1 || die "redis-cli did not subscribe"
    RAPTORBUS_WORKSPACE_ID=ws-123 RAPTORBUS_CORRELATION_ID=corr-456 \
        rbus-publish -u "$R_URL" agent.task_started agent_id=RES-001 task_type=research > "$TEST_TMP/pub.out" \
        || die "publish failed"
    wait_until 10 grep -q RES-001 "$TEST_TMP/cli.out" || die "redis-cli got nothing"
    kill "$pid"
    local msg
    msg=$(tail -1 "$TEST_TMP/cli.out")
    local printed; printed=$(cat "$TEST_TMP/pub.out")
    expect_eq "$msg" "$printed" "what was published equals what was printed"
    expect_eq "$(jq -r '[keys_unsorted[]] | join(",")' <<< "$printed")" \
        "id,type,payload,priority,request_id,source_agent_id,workspace_id,timestamp" "key order"
    expect_eq "$(jq -c .payload <<< "$printed")" '{"agent_id":"RES-001","task_type":"research"}' "payload"
    expect_eq "$(jq -r .workspace_id <<< "$printed")" "ws-123" "workspace from env"
    expect_eq "$(jq -r .request_id <<< "$printed")" "corr-456" "correlation from env"
    expect_eq "$(jq -r .source_agent_id <<< "$printed")" "null" "source agent null"
    expect_match "$(jq -r .id <<< "$printed")" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' "uuid v4"
    expect_match "$(jq -r .timestamp <<< "$printed")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$' "timestamp"
    expect_no "$printed" ": " "compact serialization"
}

flags_override_environment() {
    local out
    out=$(RAPTORBUS_WORKSPACE_ID=ws-env RAPTORBUS_CORRELATION_ID=corr-env RAPTORBUS_SOURCE_AGENT_ID=agent-env \
        rbus-publish -u "$R_URL" -w ws-flag -c corr-flag --source-agent-id agent-flag --priority high \
        --id 11111111-2222-4333-8444-555555555555 agent.task_started '{"n":1}') || die "publish failed"
    expect_eq "$(jq -r .workspace_id <<< "$out")" ws-flag "workspace flag"
    expect_eq "$(jq -r .request_id <<< "$out")" corr-flag "correlation flag"
    expect_eq "$(jq -r .source_agent_id <<< "$out")" agent-flag "source agent flag"
    expect_eq "$(jq -r .priority <<< "$out")" high "priority"
    expect_eq "$(jq -r .id <<< "$out")" 11111111-2222-4333-8444-555555555555 "id"
    expect_eq "$(jq -c .payload <<< "$out")" '{"n":1}' "JSON payload"
}

url_from_environment_and_prefix() {
    local ch=acme.bus.order.created
    redis-cli -p "$R_PORT" subscribe "$ch" > "$TEST_TMP/cli2.out" &
    local pid=$!; track "$pid"
    wait_until 10 has_subscribers "$R_PORT" "$ch" 1 || die "redis-cli did not subscribe"
    REDIS_URL=$R_URL RAPTORBUS_CHANNEL_PREFIX=acme.bus rbus-publish -q order.created id:=7 > "$TEST_TMP/q.out" \
        || die "publish failed"
    expect_eq "$(cat "$TEST_TMP/q.out")" "" "-q prints nothing"
    wait_until 10 grep -q '"id":7' "$TEST_TMP/cli2.out" || die "event not on acme.bus.order.created"
    kill "$pid"
}

bad_input_exits_2_and_publishes_nothing() {
    local err rc
    redis-cli -p "$R_PORT" psubscribe 'raptorflow.events.*' > "$TEST_TMP/bad.out" &
    local pid=$!; track "$pid"
    wait_until 10 has_patterns "$R_PORT" 1 || die "redis-cli did not subscribe"
    for args in "agent.bad [1,2]" "agent.bad 5" "Agent.Bad {}" "agent {}" "agent.bad {bad" "agent.bad noequals" \
                "agent.bad a[=1" "agent.bad a:=nojson"; do
        # shellcheck disable=SC2086
        err=$(rbus-publish -u "$R_URL" $args 2>&1 >/dev/null); rc=$?
        expect_code "$rc" 2 "rbus-publish $args"
        expect_lines "$err" 1 "one error line for $args"
        expect_match "$err" '^rbus-publish: error: ' "error form for $args"
    done
    err=$(rbus-publish -u "$R_URL" agent.bad '[1]' 2>&1)
    expect_eq "$err" "rbus-publish: error: payload must be a JSON object (got array)" "array message"
    err=$(rbus-publish -u "ftp://x:secret@h" agent.bad 2>&1); rc=$?
    expect_code "$rc" 2 "bad URL"
    expect_no "$err" secret "password in URL error"
    err=$(rbus-publish -u "$R_URL" --priority urgent agent.bad 2>&1); rc=$?
    expect_code "$rc" 2 "bad priority"
    err=$(rbus-publish -u "$R_URL" --nonsense agent.bad 2>&1); rc=$?
    expect_code "$rc" 2 "unknown flag"
    expect_lines "$err" 1 "one line for unknown flag"
    # A good event after the bad ones is the first and only one the subscriber saw.
    rbus-publish -q -u "$R_URL" agent.marker || die "marker publish failed"
    wait_until 10 grep -q agent.marker "$TEST_TMP/bad.out" || die "marker not received"
    kill "$pid"
    expect_eq "$(grep -c '^raptorflow.events.agent' "$TEST_TMP/bad.out")" 1 "channels that got a message"
    expect_no "$(cat "$TEST_TMP/bad.out")" "agent.bad" "bad events published"
}

unreachable_exits_3() {
    local port err rc
    port=$(free_port)
    err=$(rbus-publish -u "redis://127.0.0.1:$port" agent.task_started 2>&1); rc=$?
    expect_code "$rc" 3 "unreachable"
    expect_match "$err" "^rbus-publish: error: cannot connect to 127.0.0.1:$port" "message"
    err=$(rbus-publish --fail-soft -u "redis://127.0.0.1:$port" agent.task_started 2>&1); rc=$?
    expect_code "$rc" 0 "--fail-soft"
    expect_match "$err" "WARN bus - bus unreachable" "fail-soft warning"
    rc=0; RAPTORBUS_FAIL_SOFT=1 rbus-publish -u "redis://127.0.0.1:$port" agent.task_started >/dev/null 2>&1 || rc=$?
    expect_code "$rc" 0 "RAPTORBUS_FAIL_SOFT=1"
}

verbose_logs_seed_line() {
    local err
    err=$(rbus-publish -v -u "$R_URL" -w ws-123 -c corr-456 agent.task_started 2>&1 >/dev/null) || die "publish failed"
    expect_eq "$err" "INFO bus - Published event agent.task_started to raptorflow.events.agent.task_started workspace_id=ws-123 correlation_id=corr-456 receivers=0" "log line"
}

dry_run_needs_no_server() {
    local out rc port
    port=$(free_port)
    out=$(rbus-publish --dry-run -u "redis://127.0.0.1:$port" agent.task_started a=1); rc=$?
    expect_code "$rc" 0 "dry run"
    expect_eq "$(jq -r .payload.a <<< "$out")" 1 "dry-run envelope"
}

min_receivers_exit_4() {
    local rc=0
    rbus-publish -q -u "$R_URL" --min-receivers 1 agent.lonely 2>/dev/null || rc=$?
    expect_code "$rc" 4 "no subscriber"
}

version_and_help() {
    local tool version commit expected
    version=$(sed -n "s/^  version : '\(.*\)',$/\1/p" "$ROOT/meson.build")
    commit=$("$ROOT/scripts/git-commit" "$ROOT")
    for tool in rbus-publish rbus-subscribe rbus-tail rbus-stats; do
        expected="$tool $version${commit:+ (git $commit)}"
        expect_eq "$($tool --version)" "$expected" "$tool --version names the version and the checkout's commit"
        expect_match "$($tool --help)" "--url" "$tool --help"
    done
}

case_ "redis-cli SUBSCRIBE receives the exact envelope" redis_cli_receives_envelope
case_ "flags override the environment" flags_override_environment
case_ "REDIS_URL and RAPTORBUS_CHANNEL_PREFIX" url_from_environment_and_prefix
case_ "bad input exits 2 with one error line" bad_input_exits_2_and_publishes_nothing
case_ "unreachable exits 3; --fail-soft exits 0" unreachable_exits_3
case_ "-v logs the seed's line" verbose_logs_seed_line
case_ "--dry-run needs no server" dry_run_needs_no_server
case_ "--min-receivers exits 4" min_receivers_exit_4
case_ "--version and --help" version_and_help
