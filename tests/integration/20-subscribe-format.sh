#!/usr/bin/env bash
# rbus-subscribe --format json|payload|pretty|raw|TEMPLATE, --invalid, --metrics.
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1
export REDIS_URL=$R_URL
CH=raptorflow.events

format_payload_and_pretty() {
    bg_ready P rbus-subscribe --timeout 10s agent.done --count 1 --format payload
    bg_ready Q rbus-subscribe --timeout 10s agent.done --count 1 --format pretty
    rbus-publish -q agent.done a=1 n:=2 || die "publish"
    wait "$P_PID" || die "payload subscriber failed"
    wait "$Q_PID" || die "pretty subscriber failed"
    expect_eq "$(cat "$TEST_TMP/P.out")" '{"a":"1","n":2}' "--format payload"
    expect_eq "$(sed -n 1p "$TEST_TMP/Q.out")" "{" "pretty opens alone"
    expect_match "$(sed -n 2p "$TEST_TMP/Q.out")" '^  "id": "' "pretty indents"
    expect_eq "$(jq -c .payload < "$TEST_TMP/Q.out")" '{"a":"1","n":2}' "pretty parses"
    expect_no "$(cat "$TEST_TMP/Q.out")" $'\e[' "no colour when piped"
}

format_template() {
    bg_ready T rbus-subscribe --timeout 10s agent.done --count 2 \
        --format '{type}\t{priority}\t{payload.user.name}\t[{request_id}]\t{{{payload.n}}}\t{lag_ms}'
    rbus-publish -q -c corr-1 --priority high agent.done 'user[name]=Ann' n:=5 || die "publish"
    rbus-publish -q agent.done || die "publish"
    wait "$T_PID" || die "subscriber failed: $(cat "$TEST_TMP/T.err")"
    expect_match "$(sed -n 1p "$TEST_TMP/T.out")" $'^agent\\.done\thigh\tAnn\t\\[corr-1\\]\t\\{5\\}\t-?[0-9]+\\.[0-9]{3}$' "template line"
    expect_match "$(sed -n 2p "$TEST_TMP/T.out")" $'^agent\\.done\tnormal\t\t\\[\\]\t\\{\\}\t' "missing fields print nothing"
}

template_errors_before_connecting() {
    local rc=0 err
    err=$(rbus-subscribe -u redis://127.0.0.1:1 --format '{typo}' 2>&1 >/dev/null) || rc=$?
    expect_code "$rc" 2 "unknown field"
    expect_match "$err" '^rbus-subscribe: error: invalid --format template: unknown field \{typo\}' "message"
    rc=0; rbus-subscribe -u redis://127.0.0.1:1 --format yaml 2>/dev/null || rc=$?
    expect_code "$rc" 2 "unknown format"
    rc=0; rbus-subscribe -u redis://127.0.0.1:1 --format '{type' 2>/dev/null || rc=$?
    expect_code "$rc" 2 "unclosed brace"
}

format_raw_bytes() {
    bg_ready W rbus-subscribe --timeout 10s --all --count 1 --format raw
    local msg='{"type":"x.raw",  "payload" : {"b":1,"a":2}, "extra":true}'
    redis-cli -p "$R_PORT" publish "$CH.junk" 'not json' >/dev/null
    redis-cli -p "$R_PORT" publish "$CH.x.raw" "$msg" >/dev/null
    wait "$W_PID" || die "subscriber failed"
    expect_eq "$(cat "$TEST_TMP/W.out")" "not json"$'\n'"$msg" "raw bytes, invalid ones included"
}

invalid_emit_and_fail() {
    bg_ready E rbus-subscribe --timeout 10s --all --count 1 --invalid emit
    redis-cli -p "$R_PORT" publish "$CH.junk" '[1,2]' >/dev/null
    rbus-publish -q x.ok || die "publish"
    wait "$E_PID" || die "subscriber failed"
    local first; first=$(sed -n 1p "$TEST_TMP/E.out")
    expect_eq "$(jq -r '[.invalid,.channel,.raw] | join(" ")' <<< "$first")" "true $CH.junk [1,2]" "emitted record"
    expect_match "$(jq -r .error <<< "$first")" '.' "with its error"
    expect_eq "$(sed -n 2p "$TEST_TMP/E.out" | jq -r .type)" x.ok "then the event"

    bg_ready F rbus-subscribe --timeout 10s --all --invalid fail
    redis-cli -p "$R_PORT" publish "$CH.junk" 'garbage' >/dev/null
    local rc=0; wait "$F_PID" || rc=$?
    expect_code "$rc" 5 "--invalid fail"
    expect_lines "$(cat "$TEST_TMP/F.err")" 1 "one error line"
    expect_match "$(cat "$TEST_TMP/F.err")" "^rbus-subscribe: error: invalid message on $CH.junk: " "error line"
}

metrics_at_exit() {
    bg_ready M rbus-subscribe --timeout 10s agent.a 'model.*' --count 2 --metrics
    redis-cli -p "$R_PORT" publish "$CH.model.x" 'nope' >/dev/null
    rbus-publish -q agent.a || die "publish"
    rbus-publish -q model.b || die "publish"
    wait "$M_PID" || die "subscriber failed"
    local m; m=$(tail -1 "$TEST_TMP/M.err")
    expect_eq "$(jq -c . <<< "$m")" \
        "{\"published\":0,\"published_by_priority\":{},\"received\":3,\"failed\":0,\"invalid\":1,\"reconnects\":0,\"filtered\":0,\"active_subscriptions\":2,\"subscriptions\":[\"$CH.agent.a\",\"$CH.model.*\"]}" "metrics"
    bg_ready MS rbus-subscribe --timeout 10s --all --metrics
    kill -INT "$MS_PID"
    local rc=0; wait "$MS_PID" || rc=$?
    expect_code "$rc" 130 "SIGINT"
    expect_eq "$(jq -r .received < "$TEST_TMP/MS.err")" 0 "metrics on SIGINT"
}

case_ "--format payload and pretty" format_payload_and_pretty
case_ "--format TEMPLATE" format_template
case_ "bad --format is exit 2 before connecting" template_errors_before_connecting
case_ "--format raw prints bytes as received" format_raw_bytes
case_ "--invalid emit and fail (exit 5)" invalid_emit_and_fail
case_ "--metrics at exit and on SIGINT" metrics_at_exit
