#!/usr/bin/env bash
# rbus-publish batches (--stdin, --envelopes) against a real redis-server:
# delivery counted by an independent redis-cli subscriber, the accounting
# invariant (lines = published + failed + invalid), the dead-letter file, and a
# server stopped and restarted on the same port in the middle of a batch.
. "$(dirname "$0")/../lib.sh"
# A subscriber reading 100,000 events must not be cut off by the output buffer limit.
start_redis R --client-output-buffer-limit "pubsub 0 0 0" || exit 1

# psub NAME PATTERN: a redis-cli PSUBSCRIBE writing to $TEST_TMP/NAME.sub; waits until subscribed:
# until its own confirmation (psubscribe, the pattern, 1) is in the file. Counting the server's
# patterns instead raced with an earlier case's subscriber still being dropped.
psub() {
    redis-cli -p "$R_PORT" psubscribe "raptorflow.events.$2" > "$TEST_TMP/$1.sub" &
    track $!
    wait_until 10 lines_at_least "$TEST_TMP/$1.sub" 3 || die "redis-cli did not subscribe"
}
# received NAME: how many envelopes the subscriber NAME got.
received() { grep -c '^{"id"' "$TEST_TMP/$1.sub" || true; }
has_received() { [ "$(received "$1")" -ge "$2" ]; }
summary() { grep -a '^published [0-9]*, failed [0-9]*, invalid [0-9]*\( (.* skipped)\)\?$' "$1" | tail -1; }

hundred_thousand_lines_fully_delivered() {
    psub big 'load.item'
    seq 100000 | sed 's/.*/{"n":&,"text":"event number &"}/' > "$TEST_TMP/big.in"
    rbus-publish -u "$R_URL" load.item --stdin < "$TEST_TMP/big.in" > "$TEST_TMP/big.out" 2> "$TEST_TMP/big.err"
    expect_code $? 0 "exit code"
    expect_eq "$(summary "$TEST_TMP/big.err")" "published 100000, failed 0, invalid 0" "summary"
    expect_eq "$(grep -c '' "$TEST_TMP/big.out")" 100000 "envelopes printed"
    wait_until 30 has_received big 100000 || die "subscriber counted $(received big) of 100000"
    expect_eq "$(received big)" 100000 "events the subscriber counted"
    expect_eq "$(grep '^{"id"' "$TEST_TMP/big.sub" | tail -1 | jq -r .payload.n)" 100000 "last event, in order"
    expect_eq "$(jq -r .id "$TEST_TMP/big.out" | sort -u | wc -l)" 100000 "distinct ids"
}

bad_lines_keep_the_invariant() {
    psub bad 'mixed.item'
    printf '%s\n' '{"ok":1}' '[1,2]' '{"ok":2}' '' 'not json' '"str"' '{"ok":3}' "{\"big\":\"$(head -c 3000 /dev/zero | tr '\0' x)\"}" \
        > "$TEST_TMP/mixed.in"
    local err rc=0
    rbus-publish -u "$R_URL" --max-bytes 2000 mixed.item --stdin --dead-letter "$TEST_TMP/dl.ndjson" \
        < "$TEST_TMP/mixed.in" > "$TEST_TMP/mixed.out" 2> "$TEST_TMP/mixed.err" || rc=$?
    err=$(cat "$TEST_TMP/mixed.err")
    expect_code "$rc" 1 "exit code when some lines were not published"
    expect_eq "$(summary "$TEST_TMP/mixed.err")" "published 3, failed 0, invalid 4 (1 blank line skipped)" "summary"
    expect_match "$err" "WARN bus - line 2: payload must be a JSON object \(got array\)" "bad line reported with its number"
    expect_no "$err" "line 4:" "a blank line is skipped, not invalid"
    expect_match "$err" "rbus-publish: error: 4 of 7 line\(s\) not published" "error line"
    expect_eq "$(grep -c '' "$TEST_TMP/dl.ndjson")" 4 "dead-letter records"
    expect_eq "$(jq -c '[.line, .input]' "$TEST_TMP/dl.ndjson" | head -2 | tr -d '\n')" '[2,"[1,2]"][5,"not json"]' "dead-letter lines"
    expect_match "$(jq -r 'select(.line == 8) | .reason' "$TEST_TMP/dl.ndjson")" "more than --max-bytes 2000" "oversize reason"
    wait_until 10 has_received bad 3 || die "subscriber got $(received bad)"
    expect_eq "$(jq -c .payload "$TEST_TMP/mixed.out" | tr -d '\n')" '{"ok":1}{"ok":2}{"ok":3}' "published payloads"
}

envelopes_round_trip_keeps_ids() {
    psub env 'replay.*'
    printf '%s\n' '{"n":1}' '{"n":2}' | rbus-publish -q -u "$R_URL" --dry-run replay.one --stdin > /dev/null
    rbus-publish --dry-run -u "$R_URL" -w ws-9 replay.one --stdin <<< '{"n":1}' > "$TEST_TMP/env.in" 2>/dev/null
    # A legacy dict and a BusEvent, as RaptorFlow's Python code writes them.
    echo '{"event_type":"replay.legacy","workspace_id":"ws-1","correlation_id":"c-1","payload":{"l":1},"timestamp":"2026-11-26T16:10:30.237319"}' >> "$TEST_TMP/env.in"
    echo '{"id":"bbbbbbbb-2222-4333-8444-555555555555","type":"replay.bus_event","payload":{},"priority":"high","version":"1.0","retry_count":0}' >> "$TEST_TMP/env.in"
    echo '{"type":"no\u001bdots"}' >> "$TEST_TMP/env.in"
    local rc=0
    rbus-publish -u "$R_URL" --envelopes "$TEST_TMP/env.in" > "$TEST_TMP/env.out" 2> "$TEST_TMP/env.err" || rc=$?
    expect_code "$rc" 1 "one invalid envelope"
    expect_eq "$(summary "$TEST_TMP/env.err")" "published 3, failed 0, invalid 1" "summary"
    expect_eq "$(jq -r .id "$TEST_TMP/env.out" | head -1)" "$(jq -r .id "$TEST_TMP/env.in" | head -1)" "id kept"
    expect_eq "$(sed -n 2p "$TEST_TMP/env.out" | jq -c '[.type,.request_id,.workspace_id,.timestamp]')" \
        '["replay.legacy","c-1","ws-1","2026-11-26T16:10:30.237319Z"]' "legacy shape republished canonically"
    expect_eq "$(sed -n 3p "$TEST_TMP/env.out" | jq -r '[keys_unsorted[]] | join(",")')" \
        "id,type,payload,priority,request_id,source_agent_id,workspace_id,timestamp,version,retry_count" "BusEvent keys"
    wait_until 10 has_received env 3 || die "subscriber got $(received env)"
    # From stdin with "-".
    rbus-publish -q -u "$R_URL" --envelopes - < <(head -1 "$TEST_TMP/env.in") || die "--envelopes - failed"
    wait_until 10 has_received env 4 || die "stdin envelope not received"
}

server_restart_mid_batch_loses_nothing() {
    start_redis K || die "second server"
    local fifo=$TEST_TMP/fifo dir=$TEST_TMP/redis-K-restart i pub rc=0
    mkfifo "$fifo"
    redis-cli -p "$K_PORT" psubscribe 'raptorflow.events.*' > "$TEST_TMP/k1.sub" &
    track $!
    wait_until 10 has_patterns "$K_PORT" 1 || die "redis-cli did not subscribe"
    rbus-publish -u "redis://127.0.0.1:$K_PORT" --retries 30 --dead-letter "$TEST_TMP/k.dl" restart.item --stdin \
        < "$fifo" > "$TEST_TMP/k.out" 2> "$TEST_TMP/k.err" &
    pub=$!; track "$pub"
    exec 7> "$fifo"
    for i in $(seq 1 50); do echo "{\"i\":$i}" >&7; done
    wait_until 10 eval '[ "$(grep -c "^{\"id\"" "$TEST_TMP/k1.sub")" -ge 50 ]' || die "first half not delivered"
    stop_pid "$K_PID"
    for i in $(seq 51 100); do echo "{\"i\":$i}" >&7; done
    echo '[oops]' >&7
    # Give the publisher time to notice the dead server before it comes back.
    wait_until 10 grep -q "connection lost" "$TEST_TMP/k.err" || die "publisher did not notice: $(cat "$TEST_TMP/k.err")"
    mkdir -p "$dir"
    # 7>&-: the new server must not hold the fifo open, or the batch never sees its end.
    redis-server --port "$K_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --logfile "$dir/redis.log" 7>&- &
    track $!
    wait_until 10 redis-cli -p "$K_PORT" ping || die "server did not restart"
    exec 7>&-
    wait "$pub" || rc=$?
    local s published failed invalid
    s=$(summary "$TEST_TMP/k.err")
    expect_match "$s" '^published [0-9]+, failed [0-9]+, invalid 1$' "summary"
    read -r published failed invalid <<< "$(sed 's/[^0-9 ]//g' <<< "$s")"
    expect_eq $((published + failed + invalid)) 101 "every line accounted for"
    expect_eq "$(grep -c '' "$TEST_TMP/k.out")" "$published" "published envelopes printed"
    expect_eq "$(grep -c '' "$TEST_TMP/k.dl")" $((failed + invalid)) "dead-letter records"
    expect_eq "$failed" 0 "nothing failed with enough retries"
    expect_code "$rc" 1 "exit code (one invalid line)"
    expect_match "$(cat "$TEST_TMP/k.err")" "reconnected to 127.0.0.1:$K_PORT" "reconnect logged"
    # Every input payload was confirmed, the second half by the restarted server.
    expect_eq "$(jq -r .payload.i "$TEST_TMP/k.out" | sort -n | uniq | wc -l)" 100 "distinct events published"
}

server_gone_for_good_fails_to_dead_letter() {
    start_redis G || die "third server"
    local fifo=$TEST_TMP/fifo2 pub rc=0 i
    mkfifo "$fifo"
    rbus-publish -u "$G_URL" --retries 2 --dead-letter "$TEST_TMP/g.dl" gone.item --stdin \
        < "$fifo" > "$TEST_TMP/g.out" 2> "$TEST_TMP/g.err" &
    pub=$!; track "$pub"
    exec 8> "$fifo"
    for i in 1 2 3; do echo "{\"i\":$i}" >&8; done
    wait_until 10 eval '[ "$(grep -c "" "$TEST_TMP/g.out")" -ge 3 ]' || die "first lines not published"
    stop_pid "$G_PID"
    for i in 4 5 6 7; do echo "{\"i\":$i}" >&8; done
    exec 8>&-
    wait "$pub" || rc=$?
    expect_code "$rc" 1 "exit code"
    expect_eq "$(summary "$TEST_TMP/g.err")" "published 3, failed 4, invalid 0" "summary"
    expect_eq "$(jq -r .envelope.payload.i "$TEST_TMP/g.dl" | tr -d '\n')" "4567" "failed events in dead-letter"
    expect_match "$(jq -r .reason "$TEST_TMP/g.dl" | head -1)" "after 2 reconnect attempt" "reason"
}

batch_min_receivers_metrics_and_quiet() {
    local rc=0 out err
    printf '{"a":1}\n{"a":2}\n' | rbus-publish -u "$R_URL" --min-receivers 1 lonely.item --stdin >/dev/null 2>&1 || rc=$?
    expect_code "$rc" 4 "--min-receivers in a batch"
    printf '{"a":1}\n{"a":2}\n{"a":3}\n' | rbus-publish -q -u "$R_URL" --record-metrics counted.item --stdin > "$TEST_TMP/m.out" 2> "$TEST_TMP/m.err"
    expect_code $? 0 "metrics batch"
    expect_eq "$(redis-cli -p "$R_PORT" get metrics:channel:raptorflow.events.counted.item:published)" 3 "INCR per event"
    expect_eq "$(cat "$TEST_TMP/m.out" "$TEST_TMP/m.err")" "" "-q prints nothing"
    printf '{"a":1}\n' | RAPTORBUS_METRICS=1 rbus-publish -q -u "$R_URL" counted.item --stdin
    expect_eq "$(redis-cli -p "$R_PORT" get metrics:channel:raptorflow.events.counted.item:published)" 4 "RAPTORBUS_METRICS=1"
    out=$(printf '{"a":1}\n[2]\n' | rbus-publish --dry-run -u "redis://127.0.0.1:$(free_port)" dry.item --stdin 2> "$TEST_TMP/d.err"); rc=$?
    expect_code "$rc" 1 "dry run with an invalid line"
    expect_eq "$(jq -c .payload <<< "$out")" '{"a":1}' "dry run prints valid envelopes"
    expect_match "$(cat "$TEST_TMP/d.err")" "dry run: valid 1, invalid 1" "dry run summary"
    err=$(printf '{"a":1}\n' | rbus-publish --fail-soft -u "redis://127.0.0.1:$(free_port)" soft.item --stdin 2>&1); rc=$?
    expect_code "$rc" 0 "--fail-soft batch"
    expect_match "$err" "WARN bus - bus unreachable" "fail-soft warning"
    rc=0; printf '{"a":1}\n' | rbus-publish -u "redis://127.0.0.1:$(free_port)" soft.item --stdin >/dev/null 2>&1 || rc=$?
    expect_code "$rc" 3 "unreachable at start"
    err=$(rbus-publish -u "$R_URL" Bad.Type --stdin < /dev/null 2>&1); rc=$?
    expect_code "$rc" 2 "bad TYPE is a usage error"
    expect_lines "$err" 1 "one error line"
}

case_ "100,000 --stdin lines, all counted by redis-cli" hundred_thousand_lines_fully_delivered
case_ "bad lines: reported, skipped, dead-lettered; invariant holds" bad_lines_keep_the_invariant
case_ "--envelopes republishes canonically, ids kept" envelopes_round_trip_keeps_ids
case_ "server restarted mid-batch on the same port: nothing lost silently" server_restart_mid_batch_loses_nothing
case_ "server gone for good: the rest fail into the dead-letter file" server_gone_for_good_fails_to_dead_letter
case_ "batch --min-receivers, --record-metrics, -q, --dry-run, --fail-soft" batch_min_receivers_metrics_and_quiet
