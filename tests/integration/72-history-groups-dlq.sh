#!/usr/bin/env bash
# Consumer groups and the DLQ (SPEC §8) against a real redis-server: groups
# share the work, a SIGKILLed consumer's event is claimed by another, an
# always-failing handler reaches the DLQ after N deliveries (rbus's stream,
# RaptorBus's record and sys.dlq.* message), --dlq reads both kinds and
# --redrive brings an entry back once.
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1
cli() { redis-cli -p "$R_PORT" "$@"; }
# pending TYPE GROUP: how many of the group's events on TYPE's stream are unacknowledged.
pending() { cli xpending "rbus:history:{raptorflow.events.$1}" "$2" | head -1; }

group_shares_work_once_each() {
    seq 3 | sed 's/.*/{"n":&}/' | rbus-publish -q -u "$R_URL" --history job.share --stdin || die "seed old"
    # A new group without --since starts at the stream's end: the 3 old events are not for it.
    bg_ready g1 rbus-subscribe -u "$R_URL" job.share --group sharers --consumer c1 --count 7
    seq 4 23 | sed 's/.*/{"n":&}/' | rbus-publish -q -u "$R_URL" --history job.share --stdin || die "seed new"
    wait "$g1_PID"; expect_code $? 0 "first consumer took 7"
    rbus-subscribe -u "$R_URL" job.share --group sharers --consumer c2 --count 13 --timeout 20s > "$TEST_TMP/g2.out" \
        || die "second consumer did not get the other 13"
    expect_eq "$(cat "$TEST_TMP/g1.out" "$TEST_TMP/g2.out" | jq -r .payload.n | sort -n | tr '\n' ' ')" \
        "$(seq 4 23 | tr '\n' ' ')" "every event once across the group"
    expect_eq "$(cli xpending 'rbus:history:{raptorflow.events.job.share}' sharers | head -1)" 0 "all acknowledged"
    expect_eq "$(cli xinfo consumers 'rbus:history:{raptorflow.events.job.share}' sharers | grep -c .)" 0 \
        "consumers that left with nothing pending were removed"
    local out; out=$(rbus-subscribe -u "$R_URL" job.share --group replayers --since 0 --count 3 --timeout 10s | jq -r .payload.n | tr '\n' ' ')
    expect_eq "$out" "1 2 3 " "--since places a new group at the start"
    # --since an entry's ID: a new group reads that entry too, as a replay of the stream from it does (it
    # started after it).
    local id2
    id2=$(cli xrange 'rbus:history:{raptorflow.events.job.share}' - + COUNT 2 | grep -E '^[0-9]+-[0-9]+$' | sed -n 2p)
    out=$(rbus-subscribe -u "$R_URL" job.share --group fromid --since "$id2" --count 2 --timeout 10s | jq -r .payload.n | tr '\n' ' ')
    expect_eq "$out" "2 3 " "a new group from the ID: the same first events"
    # --since on the group that now exists: it continues where it is, and says so (a kcat habit expects a reset).
    out=$(rbus-subscribe -u "$R_URL" job.share --group fromid --since 0 --count 1 --timeout 10s --format '{payload.n}' 2> "$TEST_TMP/busy.err")
    expect_eq "$out" "4" "an existing group continues where it is"
    expect_match "$(cat "$TEST_TMP/busy.err")" "WARN .*group fromid exists on rbus:history:\\{raptorflow.events.job.share\\}: it continues where it is" \
        "--since on an existing group: said"
    # --count not reached by --timeout: 124 and the one line saying so, as without --group.
    local rc=0 err
    err=$(rbus-subscribe -u "$R_URL" nothing.here --group idle --count 1 --timeout 500ms 2>&1 >/dev/null) || rc=$?
    expect_code "$rc" 124 "--group --count --timeout"
    expect_eq "$err" "rbus-subscribe: error: timed out after 500ms: 0 of 1 event" "the timeout line"
}

killed_consumer_event_claimed_by_another() {
    rbus-subscribe -u "$R_URL" job.run --group workers --consumer doomed --timeout 1s > /dev/null  # creates the group
    rbus-subscribe -u "$R_URL" job.run --group workers --consumer doomed \
        --exec "echo \$\$ > $TEST_TMP/started.tmp; mv $TEST_TMP/started.tmp $TEST_TMP/started; exec sleep 45" > /dev/null 2>&1 &
    local doomed=$!
    track "$doomed"
    local out id
    out=$(rbus-publish -u "$R_URL" --history job.run task=1) || die "publish"
    id=$(jq -r .id <<< "$out")
    wait_until 20 test -e "$TEST_TMP/started" || die "the first consumer never started its handler"
    kill -9 "$doomed"
    kill "$(cat "$TEST_TMP/started")" 2>/dev/null  # its orphaned handler, which SIGKILL did not reach
    expect_eq "$(pending job.run workers)" 1 "the event is left pending by the killed consumer"
    rbus-subscribe -u "$R_URL" job.run --group workers --consumer rescuer --claim-idle 500ms --count 1 --timeout 30s \
        --exec "cat > $TEST_TMP/done.json" 2> "$TEST_TMP/rescuer.err" -v
    expect_code $? 0 "the other consumer finished the event"
    expect_eq "$(jq -r .id "$TEST_TMP/done.json")" "$id" "the same event"
    expect_match "$(cat "$TEST_TMP/rescuer.err")" "claimed 1 event\\(s\\) idle for 500ms" "claim logged"
    expect_eq "$(pending job.run workers)" 0 "acknowledged after the handler succeeded"
}

failing_handler_reaches_dlq_then_redrive_once() {
    cli subscribe sys.dlq.max_retries_exceeded > "$TEST_TMP/dlqmsg.sub" &
    track $!
    wait_until 10 has_subscribers "$R_PORT" sys.dlq.max_retries_exceeded 1 || die "redis-cli did not subscribe"
    rbus-subscribe -u "$R_URL" job.fail --group fails --timeout 1s > /dev/null
    local out id
    out=$(rbus-publish -u "$R_URL" --history job.fail attempt=x) || die "publish"
    id=$(jq -r .id <<< "$out")
    rbus-subscribe -u "$R_URL" job.fail --group fails --consumer f1 --exec 'exit 3' --max-deliveries 3 \
        --idle 2s --metrics 2> "$TEST_TMP/fail.err" > /dev/null
    expect_code $? 0 "ends at --idle"
    expect_match "$(tail -1 "$TEST_TMP/fail.err")" '"retried":2,"dlq_sent":1' "--metrics retried and dlq_sent"
    expect_match "$(tail -1 "$TEST_TMP/fail.err")" '"filtered":0,' "--metrics: the dead letter was not filtered out"
    expect_eq "$(cli xlen rbus:dlq)" 1 "one DLQ entry"
    local entry; entry=$(rbus-subscribe -u "$R_URL" --dlq)
    expect_lines "$entry" 1 "--dlq shows the dead letter once"
    expect_eq "$(jq -c '[.id, .dlq.source, .dlq.reason, .dlq.deliveries, .dlq.exit_status, .dlq.group, .dlq.consumer, .dlq.original_channel]' <<< "$entry")" \
        "[\"$id\",\"rbus\",\"max_retries_exceeded\",3,3,\"fails\",\"f1\",\"raptorflow.events.job.fail\"]" "the DLQ record"
    local key; key=$(cli --scan --pattern 'dlq:sys.dlq.max_retries_exceeded:*')
    [ -n "$key" ] || die "no RaptorBus DLQ record"
    expect_eq "$(cli get "$key" | jq -r '.original_channel + " " + .reason + " " + (.event | fromjson | .id)')" \
        "raptorflow.events.job.fail max_retries_exceeded $id" "RaptorBus's record shape"
    local ttl; ttl=$(cli ttl "$key"); [ "$ttl" -gt 2500000 ] || die "record TTL $ttl, expected 30 days"
    wait_until 10 grep -q '"original_channel"' "$TEST_TMP/dlqmsg.sub" || die "nothing on sys.dlq.max_retries_exceeded"
    expect_eq "$(pending job.fail fails)" 0 "acknowledged once dead-lettered"

    out=$(rbus-publish -u "$R_URL" --redrive --dry-run 2>/dev/null)
    expect_eq "$(jq -r .dlq.entry <<< "$out")" "$(jq -r .dlq.entry <<< "$entry")" "--dry-run shows the entry"
    expect_eq "$(cli xlen rbus:dlq)" 1 "--dry-run changes nothing"
    out=$(rbus-publish -u "$R_URL" --redrive --reason max_retries_exceeded job.fail 2> "$TEST_TMP/redrive.err")
    expect_code $? 0 "redrive"
    expect_eq "$(jq -c '[.id, .redriven]' <<< "$out")" "[\"$id\",true]" "redriven event, same id"
    expect_match "$(cat "$TEST_TMP/redrive.err")" "redriven 1, kept 0" "summary"
    expect_eq "$(cli xlen rbus:dlq)" 0 "removed from rbus's DLQ"
    expect_eq "$(cli exists "$key")" 0 "RaptorBus's record removed with it"
    out=$(rbus-subscribe -u "$R_URL" job.fail --group fails --count 1 --timeout 10s)
    expect_eq "$(jq -c '[.id, .redriven]' <<< "$out")" "[\"$id\",true]" "the group processes it again"
    out=$(rbus-publish -u "$R_URL" --redrive 2>&1)
    expect_eq "$out" "redriven 0, kept 0" "back only once"
}

raptorbus_records_read_and_redriven() {
    local rec='{"original_channel":"raptorflow.events.rb.route","reason":"routing_error","error_details":"no route","timestamp":"2026-11-30T09:00:00.000000","event":"{\"id\":\"e-9\",\"type\":\"rb.route\",\"payload\":{\"k\":1},\"priority\":\"normal\",\"request_id\":null,\"source_agent_id\":null,\"timestamp\":\"2026-11-30T09:00:00\"}"}'
    cli setex dlq:sys.dlq.routing_error:u-1 2592000 "$rec" > /dev/null
    cli setex dlq:sys.dlq.publish_error:u-2 2592000 '{"original_channel":"raptorflow.events.rb.route","reason":"publish_error","error_details":"boom","timestamp":"2026-11-30T09:00:01","event":null}' > /dev/null
    local out rc
    out=$(rbus-subscribe -u "$R_URL" --dlq)
    expect_eq "$(jq -c '[.id, .payload.k, .dlq.source, .dlq.reason, .dlq.failed_at]' <<< "$out" | head -1)" \
        '["e-9",1,"raptorbus","routing_error","2026-11-30T09:00:00.000000Z"]' "a RaptorBus record, normalised"
    expect_eq "$(sed -n 2p <<< "$out" | jq -c 'keys')" '["dlq"]' "a record without an event: {\"dlq\":{...}} alone"
    out=$(rbus-publish -u "$R_URL" --redrive --reason routing_error 2>&1); rc=$?
    expect_code "$rc" 1 "no subscriber: kept"
    expect_match "$out" "kept dlq:sys.dlq.routing_error:u-1: no subscriber of raptorflow.events.rb.route received it" "says so"
    expect_eq "$(cli exists dlq:sys.dlq.routing_error:u-1)" 1 "record kept"
    bg_ready rs rbus-subscribe -u "$R_URL" rb.route --count 1
    rbus-publish -q -u "$R_URL" --redrive --reason routing_error || die "redrive with a subscriber"
    wait "$rs_PID" || die "subscriber did not get the redriven event"
    expect_eq "$(jq -c '[.id, .redriven]' "$TEST_TMP/rs.out")" '["e-9",true]' "published on its original_channel, marked"
    expect_eq "$(cli exists dlq:sys.dlq.routing_error:u-1)" 0 "record removed once back"
}

invalid_event_and_usage_errors() {
    rbus-subscribe -u "$R_URL" job.bad --group g --timeout 1s > /dev/null
    cli xadd 'rbus:history:{raptorflow.events.job.bad}' '*' envelope 'not json' > /dev/null
    rbus-subscribe -u "$R_URL" job.bad --group g --idle 1s > /dev/null 2>&1
    expect_eq "$(rbus-subscribe -u "$R_URL" --dlq | jq -r 'select(.dlq.original_channel=="raptorflow.events.job.bad") | .dlq.reason')" \
        "schema_violation" "an invalid event goes to the DLQ at once"
    local err rc
    err=$(rbus-subscribe -u "$R_URL" job.x --consumer c 2>&1); rc=$?
    expect_code "$rc" 2 "--consumer without --group"
}

failed_dlq_writes_lose_nothing() {
    # A DLQ key of another type: the consumer exits 2 naming it, and the event
    # stays pending, with no RaptorBus record nor message (before: a MULTI/EXEC
    # went on past the failed XADD and acknowledged the event, logging "moved").
    local url=$R_URL/7 s='rbus:history:{raptorflow.events.fw.x}' rc
    redis-cli -p "$R_PORT" -n 7 set rbus:dlq notastream > /dev/null
    rbus-publish -q -u "$url" --history fw.x n:=1 || die "publish"
    rc=0; rbus-subscribe -u "$url" --group w --since 0 --count 1 fw.x --timeout 10s --exec 'exit 1' --max-deliveries 1 \
        2> "$TEST_TMP/fw.err" || rc=$?
    expect_code "$rc" 2 "DLQ key of another type"
    expect_match "$(tail -1 "$TEST_TMP/fw.err")" "DLQ key rbus:dlq is not a stream: event .* was not moved to the DLQ \(left pending\)" "said so"
    expect_eq "$(redis-cli -p "$R_PORT" -n 7 xpending "$s" w | head -1)" 1 "the event left pending"
    expect_eq "$(redis-cli -p "$R_PORT" -n 7 --scan --pattern 'dlq:*' | wc -l)" 0 "no RaptorBus record"

    # A redrive into a history key of another type: exit 2 naming it, the
    # entry kept in the DLQ with its record (before: both removed, exit 0, the
    # event in no stream).
    url=$R_URL/8 s='rbus:history:{raptorflow.events.rw.x}'
    rbus-publish -q -u "$url" --history rw.x n:=1 || die "publish"
    rbus-subscribe -u "$url" --group w --since 0 --count 1 rw.x --timeout 10s --exec 'exit 1' --max-deliveries 1 \
        2> /dev/null
    expect_eq "$(redis-cli -p "$R_PORT" -n 8 xlen rbus:dlq)" 1 "in the DLQ"
    redis-cli -p "$R_PORT" -n 8 del "$s" > /dev/null
    redis-cli -p "$R_PORT" -n 8 set "$s" hostile > /dev/null
    rc=0; rbus-publish -u "$url" --redrive > /dev/null 2> "$TEST_TMP/rw.err" || rc=$?
    expect_code "$rc" 2 "redrive into a key of another type"
    expect_match "$(tail -1 "$TEST_TMP/rw.err")" "history key rbus:history:\{raptorflow.events.rw.x\} is not a stream: .* not redriven \(kept in the DLQ\)" "said so"
    expect_eq "$(redis-cli -p "$R_PORT" -n 8 xlen rbus:dlq) $(redis-cli -p "$R_PORT" -n 8 --scan --pattern 'dlq:*' | wc -l)" "1 1" \
        "the entry and its RaptorBus record kept"
    redis-cli -p "$R_PORT" -n 8 del "$s" > /dev/null
    rc=0; rbus-publish -u "$url" --redrive > /dev/null 2>&1 || rc=$?
    expect_code "$rc" 0 "redrive once the key is a stream again"
    expect_eq "$(redis-cli -p "$R_PORT" -n 8 xlen "$s") $(redis-cli -p "$R_PORT" -n 8 xlen rbus:dlq)" "1 0" "back in its stream"
}

concurrent_redrives_bring_an_event_back_once() {
    # Two redrives at once (writes paused until both have read the DLQ): the
    # event goes back into its stream once, and its group handles it once
    # (before: both added it).
    local url=$R_URL/9 s='rbus:history:{raptorflow.events.cr.x}'
    rbus-publish -q -u "$url" --history cr.x n:=1 || die "publish"
    rbus-subscribe -u "$url" --group g --since 0 --count 1 cr.x --timeout 10s --exec 'exit 1' --max-deliveries 1 \
        2> /dev/null
    expect_eq "$(redis-cli -p "$R_PORT" -n 9 xlen rbus:dlq)" 1 "in the DLQ"
    cli client pause 2000 write > /dev/null
    rbus-publish -u "$url" --redrive > "$TEST_TMP/cr.a" 2>&1 &
    local a=$!
    rbus-publish -u "$url" --redrive > "$TEST_TMP/cr.b" 2>&1 &
    local b=$!
    track "$a"; track "$b"
    local rca=0 rcb=0
    wait "$a" || rca=$?
    wait "$b" || rcb=$?
    expect_eq "$rca $rcb" "0 0" "both redrives"
    expect_eq "$(redis-cli -p "$R_PORT" -n 9 xlen "$s") $(redis-cli -p "$R_PORT" -n 9 xlen rbus:dlq)" "2 0" \
        "the stream: the event and its one redriven entry"
    local out
    out=$(rbus-subscribe -u "$url" --group g cr.x --count 2 --timeout 3s --format '{id}' 2> /dev/null)
    expect_lines "$out" 1 "the group handles it once"
}

redrive_output_on_a_terminal_is_escaped() {
    # --redrive and --dry-run print events from the bus: on a terminal their
    # C1 controls and bidi characters are \uXXXX, as rbus-subscribe --dlq has them.
    local url=$R_URL/10
    python3 - "$R_PORT" <<'PY'
import json, subprocess, sys
ev = json.dumps({"id": "i-1", "type": "evil.t", "payload": {"m": "A\u009b31mRED\u202eBIDI"}, "timestamp": "2026-12-01T07:00:00Z"})
rec = json.dumps({"original_channel": "raptorflow.events.evil.t", "reason": "routing_error", "error_details": "x",
                  "timestamp": "2026-12-01T07:00:01", "event": ev})
subprocess.run(["redis-cli", "-p", sys.argv[1], "-n", "10", "set", "dlq:sys.dlq.routing_error:abc", rec], check=True,
               stdout=subprocess.DEVNULL)
PY
    script -qec "$BIN/rbus-publish -u $url --redrive --dry-run" /dev/null > "$TEST_TMP/tty" 2>&1
    expect_match "$(cat "$TEST_TMP/tty")" 'A\\u009b31mRED\\u202eBIDI' "escaped on a terminal"
    expect_no "$(cat "$TEST_TMP/tty")" $'\u009b' "no raw CSI"
    expect_no "$(cat "$TEST_TMP/tty")" $'\u202e' "no raw bidi override"
    # Piped: the bytes as they are (jq reads them).
    expect_eq "$(rbus-publish -u "$url" --redrive --dry-run 2> /dev/null | jq -r .payload.m)" $'A\u009b31mRED\u202eBIDI' "piped: unchanged"
}

dlq_listing_filters_and_refusals() {
    # --dlq applies the reader's filters to each dead letter's event
    # (--where, -w, RAPTORBUS_WORKSPACE_ID), and refuses the flags of a
    # stream reader it would have ignored (before: --count 1 --timeout 2s
    # exited 0 at once on an empty DLQ; --exec ran nothing).
    local url=$R_URL/11 i
    for i in 1 2; do
        redis-cli -p "$R_PORT" -n 11 set "dlq:sys.dlq.routing_error:r$i" \
            "{\"original_channel\":\"raptorflow.events.fl.x\",\"reason\":\"routing_error\",\"error_details\":\"x\",\"timestamp\":\"2026-12-01T07:00:0${i}\",\"event\":\"{\\\"id\\\":\\\"e-$i\\\",\\\"type\\\":\\\"fl.x\\\",\\\"payload\\\":{\\\"n\\\":$i},\\\"workspace_id\\\":\\\"ws-$i\\\",\\\"timestamp\\\":\\\"2026-12-01T07:00:00Z\\\"}\"}" \
            > /dev/null
    done
    expect_eq "$(rbus-subscribe -u "$url" --dlq | jq -r .id | sort | tr '\n' ' ')" "e-1 e-2 " "both"
    expect_eq "$(rbus-subscribe -u "$url" --dlq --where payload.n=2 | jq -r .id)" "e-2" "--where"
    expect_eq "$(rbus-subscribe -u "$url" --dlq -w ws-1 | jq -r .id)" "e-1" "-w"
    expect_eq "$(RAPTORBUS_WORKSPACE_ID=ws-2 rbus-subscribe -u "$url" --dlq 2> /dev/null | jq -r .id)" "e-2" "RAPTORBUS_WORKSPACE_ID"
    local flag rc err
    for flag in "--count 1" "--timeout 2s" "--exec true" "--format {type}" "--idle 1s" "--metrics"; do
        rc=0; err=$(rbus-subscribe -u "$url" --dlq $flag 2>&1 >/dev/null) || rc=$?
        expect_code "$rc" 2 "--dlq $flag"
        expect_match "$err" "^rbus-subscribe: error: --dlq prints the dead letters as JSON lines and exits" "--dlq $flag: said why"
    done
    for flag in "--no-reconnect" "--ping-interval 1s" "--max-bytes 100"; do
        rc=0; err=$(rbus-subscribe -u "$url" --dlq $flag 2>&1 >/dev/null) || rc=$?
        expect_code "$rc" 2 "--dlq $flag"
        expect_match "$err" "--dlq prints the dead letters as JSON lines and exits" "--dlq $flag: said why"
    done
    # Flags of a group without --group, with --dlq or alone, and an unset
    # $CONSUMER: exit 2 (they were ignored: a plain run, a default name).
    for flag in "--dlq --consumer c1" "--dlq --claim-idle 5s" "--dlq --max-deliveries 2" "fl.x --max-deliveries 2"; do
        rc=0; err=$(rbus-subscribe -u "$url" $flag 2>&1 >/dev/null) || rc=$?
        expect_code "$rc" 2 "$flag"
        expect_match "$err" "need --group" "$flag: said why"
    done
    rc=0; err=$(rbus-subscribe -u "$url" fl.x --group g --consumer '' --timeout 1s 2>&1 >/dev/null) || rc=$?
    expect_code "$rc" 2 "--consumer ''"
    expect_match "$err" '--consumer: needs a name, not ""' "--consumer '': said why"
    # --print-context refuses what the run refuses (it printed max_deliveries -1).
    for flag in "--max-deliveries 0" "--max-deliveries -1" "--claim-idle 0"; do
        rc=0; rbus-subscribe -u "$url" fl.x --group g $flag --print-context > /dev/null 2>&1 || rc=$?
        expect_code "$rc" 2 "$flag --print-context"
    done
    rc=0; rbus-subscribe -u "$url" fl.x --consumer c1 --print-context > /dev/null 2>&1 || rc=$?
    expect_code "$rc" 2 "--consumer without --group, --print-context"
    rc=0; rbus-subscribe -u "$url" fl.x --group g --claim-idle '' --timeout 1s 2>/dev/null || rc=$?
    expect_code "$rc" 2 "--claim-idle '' (it was 60s)"
    rc=0; rbus-publish -u "$url" --redrive --reason '' 2>/dev/null || rc=$?
    expect_code "$rc" 2 "--redrive --reason '' (it redrove nothing, exit 0)"
    # A reason RaptorBus does not name that matches nothing (a typo) is said.
    err=$(rbus-publish -u "$url" --redrive --dry-run --reason max_retry_exceeded 2>&1 >/dev/null)
    expect_match "$err" 'WARN .*no dead letter has the reason "max_retry_exceeded" \(RaptorBus.s reasons: max_retries_exceeded, ' \
        "--reason typo: said"
    expect_eq "$(rbus-publish -u "$url" --redrive --dry-run --reason routing_error 2>&1 >/dev/null)" "dry run: 2 entries to redrive" \
        "a known reason: no warning"
    rc=0; rbus-subscribe -u "$url" --dlq --channel sys.alert.critical 2>/dev/null || rc=$?
    expect_code "$rc" 2 "--dlq --channel (ignored)"
    # A full channel name selects its type, as for a reader (it matched nothing).
    expect_eq "$(rbus-subscribe -u "$url" --dlq raptorflow.events.fl.x | jq -r .id | sort | tr '\n' ' ')" "e-1 e-2 " \
        "--dlq with a full channel name"
    expect_eq "$(rbus-publish -u "$url" --redrive --dry-run raptorflow.events.fl.x 2>/dev/null | jq -r .id | sort | tr '\n' ' ')" \
        "e-1 e-2 " "--redrive --dry-run with a full channel name"
    # --redrive selects as --dlq lists: -w, -c and RAPTORBUS_WORKSPACE_ID filter it (they were ignored: all redriven).
    expect_eq "$(rbus-publish -u "$url" --redrive --dry-run -w ws-1 2>/dev/null | jq -r .id)" "e-1" "--redrive -w"
    expect_eq "$(RAPTORBUS_WORKSPACE_ID=ws-2 rbus-publish -u "$url" --redrive --dry-run 2>/dev/null | jq -r .id)" "e-2" \
        "--redrive under RAPTORBUS_WORKSPACE_ID"
    # Publishing flags it would ignore are refused.
    for flag in "--priority high" "--id x" "--channel sys.alert.critical" "--interval 1s" "fl.x @file" "fl.x -"; do
        rc=0; rbus-publish -u "$url" --redrive $flag > /dev/null 2>&1 || rc=$?
        expect_code "$rc" 2 "--redrive $flag"
    done
    # Payload data after --redrive (a publish habit) is refused, not read as a glob matching nothing.
    for flag in "fl.x n=1" 'fl.x {"n":1}'; do
        rc=0; err=$(rbus-publish -u "$url" --redrive $flag 2>&1 >/dev/null) || rc=$?
        expect_code "$rc" 2 "--redrive $flag"
        expect_match "$err" "looks like payload data" "--redrive $flag: said why"
    done
    expect_eq "$(redis-cli -p "$R_PORT" -n 11 --scan --pattern 'dlq:*' | wc -l)" 2 "nothing redriven by the refused runs"
    rc=0; rbus-subscribe -u "$url" --dlq --mirror 2>/dev/null || rc=$?
    expect_code "$rc" 2 "--dlq --mirror (it ran a mirror)"
    rc=0; rbus-subscribe -u "$url" --group g --mirror fl.x 2>/dev/null || rc=$?
    expect_code "$rc" 2 "--group --mirror (the group was ignored)"
    rc=0; rbus-subscribe -u "$url" --group '' fl.x --timeout 1s 2>/dev/null || rc=$?
    expect_code "$rc" 2 "--group '' (a plain run)"
}

claim_takes_only_what_count_needs() {
    # Another consumer's idle entries on two streams (1 and 4): a consumer with
    # --count 2 claims 2, not 3 (it claimed the whole count on each stream and
    # left the extra one pending on itself with its delivery counted).
    local url=$R_URL/13 a='rbus:history:{raptorflow.events.cb.a}' b='rbus:history:{raptorflow.events.cb.b}' i
    rbus-publish -q -u "$url" --history cb.a n:=1 || die "publish a"
    for i in 1 2 3 4; do rbus-publish -q -u "$url" --history cb.b "n:=$i" || die "publish b"; done
    redis-cli -p "$R_PORT" -n 13 xgroup create "$a" cl 0 > /dev/null
    redis-cli -p "$R_PORT" -n 13 xgroup create "$b" cl 0 > /dev/null
    redis-cli -p "$R_PORT" -n 13 xreadgroup group cl X count 10 streams "$a" "$b" '>' '>' > /dev/null
    wait_until 10 sh -c "[ \$(redis-cli -p $R_PORT -n 13 xpending '$b' cl - + 10 | awk 'NR % 4 == 3' | sort -n | head -1) -ge 150 ]" ||
        die "not idle yet"
    local out
    out=$(rbus-subscribe -u "$url" --group cl --consumer Y 'cb.*' --count 2 --claim-idle 100ms --timeout 10s --format '{type}')
    expect_lines "$out" 2 "two handled"
    expect_eq "$(redis-cli -p "$R_PORT" -n 13 xpending "$a" cl - + 10 Y | grep -cE '^[0-9]+-[0-9]+$') $(redis-cli -p "$R_PORT" -n 13 xpending "$b" cl - + 10 Y | grep -cE '^[0-9]+-[0-9]+$')" \
        "0 0" "none left pending on the claiming consumer"
    expect_eq "$(redis-cli -p "$R_PORT" -n 13 xpending "$b" cl - + 10 X | awk 'NR % 4 == 0' | sort -u | tr '\n' ' ')" "1 " \
        "what it did not need kept its one delivery on X"
}

redrive_of_one_event_from_two_groups_adds_it_once() {
    # Two groups gave up on the same event: two dead letters, one event. The
    # redrive puts it back once (each group reads the one new entry) and
    # removes both (before: added twice, each group handled it twice).
    local url=$R_URL/12 stream='rbus:history:{raptorflow.events.dd.x}' g out
    for g in ga gb; do rbus-subscribe -u "$url" dd.x --group $g --timeout 1s > /dev/null; done
    rbus-publish -q -u "$url" --history dd.x n=1 || die "publish"
    for g in ga gb; do
        rbus-subscribe -u "$url" dd.x --group $g --exec 'exit 1' --max-deliveries 1 --idle 1s 2> /dev/null
    done
    expect_eq "$(redis-cli -p "$R_PORT" -n 12 xlen rbus:dlq)" 2 "two dead letters"
    out=$(rbus-publish -u "$url" --redrive 2> "$TEST_TMP/dd.err") || die "redrive: $(cat "$TEST_TMP/dd.err")"
    expect_lines "$out" 1 "the event printed once"
    expect_match "$(cat "$TEST_TMP/dd.err")" "redriven 2, kept 0" "both dead letters are back"
    expect_eq "$(redis-cli -p "$R_PORT" -n 12 xlen "$stream")" 2 "one new stream entry"
    expect_eq "$(redis-cli -p "$R_PORT" -n 12 xlen rbus:dlq)" 0 "the DLQ is empty"
    for g in ga gb; do
        expect_eq "$(rbus-subscribe -u "$url" dd.x --group $g --idle 1s | jq -c '[.payload.n, .redriven]' | tr '\n' ' ')" \
            '["1",true] ' "group $g handles it once more"
    done
    # Across runs too: one that took the first dead letter (--until), then
    # another; and three at once over 100 events of three groups each (the
    # server's mark, in the script: before, one copy per run).
    stream='rbus:history:{raptorflow.events.dd.y}'
    for g in ya yb yc; do rbus-subscribe -u "$url" dd.y --group $g --timeout 1s > /dev/null; done
    seq 100 | sed 's/.*/{"n":&}/' | rbus-publish -q -u "$url" --history dd.y --stdin || die "publish"
    local mid
    for g in ya yb yc; do
        rbus-subscribe -u "$url" dd.y --group $g --exec 'exit 1' --max-deliveries 1 --idle 1s 2> /dev/null
        [ $g = ya ] && mid=$(date -u +%FT%T.%6NZ)
    done
    expect_eq "$(redis-cli -p "$R_PORT" -n 12 xlen rbus:dlq)" 300 "three dead letters an event"
    rbus-publish -q -u "$url" --redrive --until "$mid" dd.y || die "the first redrive"
    local pids=() p
    for p in 1 2 3; do rbus-publish -q -u "$url" --redrive dd.y & pids+=($!); done
    for p in "${pids[@]}"; do wait "$p" || die "a concurrent redrive failed"; done
    expect_eq "$(redis-cli -p "$R_PORT" -n 12 xlen rbus:dlq)" 0 "every dead letter removed"
    expect_eq "$(redis-cli -p "$R_PORT" -n 12 xlen "$stream")" 200 "each event back once across four runs"
}

case_ "--group: consumers share the work, each event once; new group at the end or --since" group_shares_work_once_each
case_ "a consumer SIGKILLed mid-handler: another claims and finishes the event" killed_consumer_event_claimed_by_another
case_ "an always-failing handler: DLQ after N deliveries (both kinds); --redrive once" failing_handler_reaches_dlq_then_redrive_once
case_ "RaptorBus DLQ records: --dlq reads them, --redrive publishes them or keeps them" raptorbus_records_read_and_redriven
case_ "an invalid event goes to the DLQ; usage errors" invalid_event_and_usage_errors
case_ "a DLQ move or redrive whose write fails: exit 2 naming the key, nothing acknowledged or removed" failed_dlq_writes_lose_nothing
case_ "two redrives at once bring an event back once" concurrent_redrives_bring_an_event_back_once
case_ "--redrive and --dry-run on a terminal: bus text escaped" redrive_output_on_a_terminal_is_escaped
case_ "--dlq: the reader's filters apply; flags it would ignore are refused" dlq_listing_filters_and_refusals
case_ "one event dead-lettered by two groups: redriven into its stream once" redrive_of_one_event_from_two_groups_adds_it_once
case_ "claiming takes only what --count still needs, across streams" claim_takes_only_what_count_needs
