#!/usr/bin/env bash
# rbus-tail --dlq against a real redis-server: it follows the dead letters
# announced on sys.dlq.* (RaptorBus's and rbus's own group moves), shows the
# stored ones first with --since (once each, however they arrive), only those
# with --until, in tail's line with text from the bus escaped.
. "$(dirname "$0")/../lib.sh"
export TZ=UTC  # tail prints local time
start_redis R || exit 1
cli() { redis-cli -p "$R_PORT" "$@"; }
ESC=$'\e'
record() {  # record REASON DETAILS TIMESTAMP TYPE: a RaptorBus DLQ record with an event of TYPE
    printf '{"original_channel":"raptorflow.events.%s","reason":"%s","error_details":"%s","timestamp":"%s","event":"{\\"id\\":\\"id-%s\\",\\"type\\":\\"%s\\",\\"payload\\":{\\"k\\":1},\\"priority\\":\\"high\\",\\"request_id\\":\\"corr-7\\",\\"timestamp\\":\\"%s\\"}"}' \
        "$4" "$1" "$2" "$3" "$1" "$4" "$3"
}

follows_raptorbus_and_rbus_dead_letters_live() {
    rbus-subscribe -u "$R_URL" job.doomed --group g --timeout 1s > /dev/null  # creates the group
    bg_ready t rbus-tail -u "$R_URL" --dlq --count 2 --timeout 30s
    cli publish sys.dlq.routing_error "$(record routing_error 'no route' 2026-11-30T09:00:00 rb.route)" > /dev/null
    rbus-publish -q -u "$R_URL" --history job.doomed n=1 || die "publish"
    rbus-subscribe -u "$R_URL" job.doomed --group g --exec 'exit 3' --max-deliveries 1 > /dev/null 2>&1 &
    local consumer=$!
    track "$consumer"
    wait "$t_PID"; expect_code $? 0 "two dead letters seen"
    kill "$consumer"
    local out; out=$(cat "$TEST_TMP/t.out")
    expect_match "$(sed -n 1p <<< "$out")" '^09:00:00\.000 high +rb\.route  ws=- corr=corr-7  DLQ routing_error: no route  \{"k":1\}$' \
        "RaptorBus's announcement in tail's line"
    expect_match "$(sed -n 2p <<< "$out")" ' job\.doomed  ws=- corr=-  DLQ max_retries_exceeded: handler failed \(exit 3\) after 1 deliveries  \{"n":"1"\}$' \
        "rbus's own move, announced the same way"
}

since_shows_stored_first_then_live_once_each() {
    local t0; t0=$(date -u +%FT%T.%6NZ)  # after the first case's dead letters
    cli setex dlq:sys.dlq.schema_violation:u-1 2592000 "$(record schema_violation 'bad shape' "$(date -u +%FT%T.%6N)" rb.stored)" > /dev/null
    bg_ready s rbus-tail -u "$R_URL" --dlq --since "$t0" --count 2 --timeout 30s
    # The stored record announced again (as its move announces it): shown once, not twice.
    cli publish sys.dlq.schema_violation "$(cli get dlq:sys.dlq.schema_violation:u-1)" > /dev/null
    cli publish sys.dlq.processing_timeout "$(record processing_timeout 'too slow' "$(date -u +%FT%T)" rb.live)" > /dev/null
    wait "$s_PID"; expect_code $? 0 "stored then live"
    expect_eq "$(awk '{print $3}' "$TEST_TMP/s.out" | tr '\n' ' ')" "rb.stored rb.live " "the stored one first, then only the new one"
}

until_shows_stored_only_as_subscribe_does() {
    local out rc err
    out=$(rbus-tail -u "$R_URL" --dlq --since 1h --until 0s --json 'rb.*'); rc=$?
    expect_code "$rc" 0 "--until ends after the stored entries"
    expect_eq "$out" "$(rbus-subscribe -u "$R_URL" --dlq --since 1h --until 0s 'rb.*')" \
        "--json prints what rbus-subscribe --dlq prints"
    expect_eq "$(jq -r .type <<< "$out" | sort | tr '\n' ' ')" "rb.stored " "TYPE selects by the event's type"
    rc=0; err=$(rbus-tail -u "$R_URL" --dlq --since 1h --until 0s --count 5 'rb.*' 2>&1 >/dev/null) || rc=$?
    expect_code "$rc" 124 "--until with fewer stored than --count"
    expect_eq "$err" "rbus-tail: error: the history up to --until held 1 of 5 events" "says why (not a 0ms timeout)"
    expect_eq "$(rbus-tail -u "$R_URL" --dlq --since 1h --until 0s --json raptorflow.events.rb.stored | jq -r .type)" \
        "rb.stored" "a full channel name selects its type, as a reader reads it"
    out=$(rbus-tail -u "$R_URL" --dlq --since 1h --until 0s --min-priority critical); rc=$?
    expect_code "$rc" 0 "nothing passes"
    expect_eq "$out" "" "event filters apply to the dead events"
    rbus-tail -u "$R_URL" --dlq --since 1h --until 0s 'rb.*' --record "$TEST_TMP/dead.ndjson" > /dev/null || die "--record"
    expect_eq "$(jq -r .type "$TEST_TMP/dead.ndjson")" "rb.stored" "--record keeps the dead event"
}

bus_text_is_escaped() {
    cli setex dlq:sys.dlq.evil:u-9 2592000 \
        '{"original_channel":"sys.x\u001b]0;pwned\u0007","reason":"evil","error_details":"\u001b[2J\u009b31mred","timestamp":"2020-01-01T08:00:00","event":null}' > /dev/null
    local out; out=$(rbus-tail -u "$R_URL" --dlq --since 2020-01-01T00:00:00Z --until 2020-01-01T09:00:00Z)
    expect_lines "$out" 1 "the record"
    expect_no "$out" "$ESC" "no raw escape reaches the terminal"
    expect_match "$out" 'DLQ evil on sys\.x\\u001b\]0;pwned\\u0007: \\u001b\[2J\\u009b31mred$' "shown escaped"
}

usage_errors() {
    local err rc
    err=$(rbus-tail -u "$R_URL" --dlq --sharded 2>&1); rc=$?
    expect_code "$rc" 2 "--dlq --sharded"
    expect_match "$err" "^rbus-tail: error: --dlq follows sys\.dlq\.\*" "says why"
    err=$(rbus-tail -u "$R_URL" --dlq --since nonsense 2>&1); rc=$?
    expect_code "$rc" 2 "--dlq --since with a bad time"
    expect_lines "$err" 1 "one error line"
}

case_ "tail --dlq follows RaptorBus's and rbus's dead letters live, in tail's line" follows_raptorbus_and_rbus_dead_letters_live
case_ "tail --dlq --since: the stored dead letters first, then live, each once" since_shows_stored_first_then_live_once_each
case_ "tail --dlq --until: the stored ones only; --json as rbus-subscribe --dlq; filters" until_shows_stored_only_as_subscribe_does
case_ "tail --dlq: text from the bus is escaped" bus_text_is_escaped
case_ "tail --dlq: usage errors" usage_errors
