#!/usr/bin/env bash
# rbus-publish --count/--interval with placeholders, and --wait-for request/reply
# against a real redis-server with a small responder.
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1

count_interval_expands_placeholders() {
    redis-cli -p "$R_PORT" psubscribe 'raptorflow.events.tick.*' > "$TEST_TMP/tick.sub" &
    track $!
    wait_until 10 has_patterns "$R_PORT" 1 || die "redis-cli did not subscribe"
    local out
    out=$(rbus-publish -u "$R_URL" --count 3 --interval 50ms tick.beat 'n={{seq}}' 'run=r-{{uuid}}' 'at={{now}}' \
        'note=literal {{other}}') || die "publish failed"
    expect_lines "$out" 3 "one envelope per repeat"
    expect_eq "$(jq -r .payload.n <<< "$out" | tr -d '\n')" "123" "{{seq}} counts from 1"
    expect_eq "$(jq -r .id <<< "$out" | sort -u | wc -l)" 3 "a new id per repeat"
    expect_match "$(jq -r .payload.run <<< "$out" | head -1)" '^r-[0-9a-f]{8}-[0-9a-f]{4}-4' "{{uuid}}"
    expect_match "$(jq -r .payload.at <<< "$out" | head -1)" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}Z$' "{{now}}"
    expect_eq "$(jq -r .payload.note <<< "$out" | head -1)" "literal {{other}}" "unknown placeholders kept"
    wait_until 10 eval '[ "$(grep -c "^{\"id\"" "$TEST_TMP/tick.sub")" -eq 3 ]' || die "subscriber did not get 3"
    local rc=0 err
    err=$(rbus-publish -u "$R_URL" --count 2 --id fixed tick.beat 2>&1) || rc=$?
    expect_code "$rc" 2 "--count with --id"
    expect_lines "$err" 1 "one error line"
    rc=0; rbus-publish -q -u "$R_URL" --count 2 --min-receivers 2 tick.beat >/dev/null 2>&1 || rc=$?
    expect_code "$rc" 4 "--min-receivers across repeats"
}

# Answers the first agent.ask with a decoy (another request_id) and then the reply.
responder() {
    redis-cli -p "$R_PORT" subscribe raptorflow.events.agent.ask > "$TEST_TMP/ask.sub" &
    track $!
    wait_until 10 has_subscribers "$R_PORT" raptorflow.events.agent.ask 1 || die "responder did not subscribe"
    (
        wait_until 20 grep -q '^{' "$TEST_TMP/ask.sub" || exit 1
        rid=$(grep '^{' "$TEST_TMP/ask.sub" | head -1 | jq -r .request_id)
        rbus-publish -q -u "$R_URL" -c other-request agent.answer answer:=0
        rbus-publish -q -u "$R_URL" -c "$rid" agent.answer answer:=42
    ) &
}

wait_for_prints_the_reply() {
    responder
    local out rc=0
    out=$(rbus-publish -u "$R_URL" --wait-for agent.answer,agent.failed --timeout 10s agent.ask q=life) || rc=$?
    expect_code "$rc" 0 "reply received"
    expect_lines "$out" 1 "only the reply on stdout"
    expect_eq "$(jq -r .type <<< "$out")" agent.answer "reply type"
    expect_eq "$(jq -r .payload.answer <<< "$out")" 42 "the reply to our request, not the decoy"
    expect_match "$(jq -r .request_id <<< "$out")" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab]' "generated correlation id"
    expect_eq "$(grep '^{' "$TEST_TMP/ask.sub" | jq -r .request_id)" "$(jq -r .request_id <<< "$out")" "same id on the request"
}

wait_for_times_out_124() {
    local err rc=0 start=$SECONDS
    err=$(rbus-publish -u "$R_URL" -c corr-1 --wait-for agent.never --timeout 300ms agent.ask 2>&1 >/dev/null) || rc=$?
    expect_code "$rc" 124 "timeout"
    expect_eq "$err" "rbus-publish: error: no agent.never event with request_id corr-1 within 300ms" "message"
    [ $((SECONDS - start)) -lt 5 ] || die "took too long"
}

case_ "--count/--interval with {{seq}} {{uuid}} {{now}}" count_interval_expands_placeholders
case_ "--wait-for prints the reply with our request_id" wait_for_prints_the_reply
case_ "--wait-for without a reply exits 124" wait_for_times_out_124
