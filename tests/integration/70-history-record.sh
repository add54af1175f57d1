#!/usr/bin/env bash
# History recording (SPEC §8) against a real redis-server: rbus-publish --history
# writes the stream, the seen mark and RaptorBus's msg: copy with the PUBLISH;
# a wrong-type key stops the event; --retain / --max-len trim; rbus-subscribe
# --mirror records what others PUBLISH, once per event id.
. "$(dirname "$0")/../lib.sh"
start_redis R --client-output-buffer-limit "pubsub 0 0 0" || exit 1
cli() { redis-cli -p "$R_PORT" "$@"; }
stream_len() { cli xlen "rbus:history:{raptorflow.events.$1}"; }
has_len() { [ "$(stream_len "$1")" -ge "$2" ]; }

publish_history_writes_stream_msg_copy_and_publishes() {
    bg_ready sub rbus-subscribe -u "$R_URL" rec.one --count 1
    local out id ttl
    out=$(rbus-publish -u "$R_URL" --history rec.one n:=1) || die "publish failed"
    id=$(jq -r .id <<< "$out")
    wait "$sub_PID" || die "the live subscriber got nothing"
    expect_eq "$(jq -r .id "$TEST_TMP/sub.out")" "$id" "published live"
    expect_eq "$(stream_len rec.one)" 1 "one stream entry"
    expect_eq "$(cli xrange 'rbus:history:{raptorflow.events.rec.one}' - + | sed -n 3p)" "$out" "field envelope = the envelope"
    expect_eq "$(cli get "msg:raptorflow.events.rec.one:$id")" "$out" "RaptorBus's msg: copy"
    ttl=$(cli ttl "msg:raptorflow.events.rec.one:$id")
    [ "$ttl" -gt 3500 ] && [ "$ttl" -le 3600 ] || die "msg: TTL $ttl, expected 3600 (default channel)"
    ttl=$(cli pttl "rbus:seen:{raptorflow.events.rec.one}:$id")
    [ "$ttl" -gt 600000000 ] || die "seen mark TTL $ttl, expected a week without --retain"
    out=$(rbus-publish -u "$R_URL" --prefix sys --history global.heartbeat) || die "heartbeat publish"
    expect_eq "$(cli ttl "msg:sys.global.heartbeat:$(jq -r .id <<< "$out")")" 60 "heartbeat TTL rule"
    # The same id again: published, not recorded twice.
    rbus-publish -u "$R_URL" --history --id "$id" rec.one n:=1 > /dev/null || die "republish"
    expect_eq "$(stream_len rec.one)" 1 "de-duplicated by event id"
    RAPTORBUS_HISTORY=1 rbus-publish -u "$R_URL" rec.one > /dev/null || die "env publish"
    expect_eq "$(stream_len rec.one)" 2 "RAPTORBUS_HISTORY=1"
}

batch_history_pipelined_and_wrong_type_fails() {
    seq 2000 | sed 's/.*/{"n":&}/' | rbus-publish -q -u "$R_URL" --history rec.batch --stdin 2> "$TEST_TMP/b.err"
    expect_code $? 0 "batch exit"
    expect_eq "$(stream_len rec.batch)" 2000 "every event recorded"
    expect_eq "$(cli xrange 'rbus:history:{raptorflow.events.rec.batch}' - + count 1 | sed -n 3p | jq .payload.n)" 1 "in order"
    cli set 'rbus:history:{raptorflow.events.rec.bad}' oops > /dev/null
    bg_ready badsub rbus-subscribe -u "$R_URL" rec.bad
    local rc=0 err
    printf '{"a":1}\n{"a":2}\n' | rbus-publish -u "$R_URL" --history rec.bad --stdin >/dev/null \
        --dead-letter "$TEST_TMP/dl.ndjson" 2> "$TEST_TMP/bad.err" || rc=$?
    expect_code "$rc" 1 "batch with a wrong-type key"
    expect_match "$(cat "$TEST_TMP/bad.err")" "published 0, failed 2, invalid 0" "both failed"
    expect_match "$(head -1 "$TEST_TMP/dl.ndjson")" 'holds a string, not a stream' "dead letter names the key"
    err=$(rbus-publish -u "$R_URL" --history rec.bad 2>&1); rc=$?
    expect_code "$rc" 2 "single event, wrong-type key"
    expect_eq "$err" "rbus-publish: error: history key rbus:history:{raptorflow.events.rec.bad} holds a string, not a stream" "the error line"
    kill "$badsub_PID"; wait "$badsub_PID" 2>/dev/null
    expect_eq "$(cat "$TEST_TMP/badsub.out")" "" "nothing published when recording failed"
}

retention_trims_by_length_and_age() {
    seq 3000 | sed 's/.*/{"n":&}/' | rbus-publish -q -u "$R_URL" --history --max-len 200 rec.len --stdin || die "len batch"
    local n; n=$(stream_len rec.len)
    [ "$n" -ge 200 ] && [ "$n" -lt 1000 ] || die "--max-len 200 left $n entries"
    seq 5 | sed 's/.*/{"n":&}/' | rbus-publish -q -u "$R_URL" --history rec.age --stdin || die "age batch 1"
    # Entries older than --retain go at the next write: wait until they are older, by the server's clock.
    local first; first=$(cli xrange 'rbus:history:{raptorflow.events.rec.age}' - + count 1 | head -1 | cut -d- -f1)
    aged() { local t; t=$(cli time | head -1); [ $((t * 1000 - first)) -gt 1500 ]; }
    wait_until 10 aged || die "server clock did not move"
    rbus-publish -q -u "$R_URL" --history --retain 1s rec.age n:=6 || die "age publish"
    expect_eq "$(stream_len rec.age)" 1 "entries older than --retain trimmed"
    local last ttl
    last=$(cli xrange 'rbus:history:{raptorflow.events.rec.age}' - + | sed -n 3p | jq -r .id)
    ttl=$(cli pttl "rbus:seen:{raptorflow.events.rec.age}:$last")
    [ "$ttl" -gt 0 ] && [ "$ttl" -le 1000 ] || die "seen mark TTL $ttl ms, expected at most --retain 1s"
    local rc=0; rbus-publish -u "$R_URL" --retain 1h rec.age 2>/dev/null || rc=$?
    expect_code "$rc" 2 "--retain without --history"
    # A negative or oversized --max-len is refused before connecting (CLI11
    # took -5 for 2^64 - 5: the event went into history, then the server
    # refused the trim and it was not published).
    local v err
    for v in -5 99999999999999999999 abc; do
        rc=0; err=$(rbus-publish -u "$R_URL" --history --max-len "$v" rec.neg n:=1 2>&1 >/dev/null) || rc=$?
        expect_code "$rc" 2 "--max-len $v"
        expect_match "$err" "^rbus-publish: error: --max-len: needs a number of entries from 0 \\(no limit\\)" "--max-len $v: one line"
        rc=0; rbus-subscribe -u "$R_URL" --mirror --max-len "$v" rec.neg 2>/dev/null || rc=$?
        expect_code "$rc" 2 "--mirror --max-len $v"
    done
    # An unset variable (--retain "$RETAIN") is refused, not "keep for ever".
    rc=0; err=$(rbus-publish -u "$R_URL" --history --retain "" rec.neg n:=1 2>&1 >/dev/null) || rc=$?
    expect_code "$rc" 2 "--retain ''"
    expect_match "$err" '--retain: needs a duration, not ""' "--retain '': said why"
    rc=0; rbus-subscribe -u "$R_URL" --mirror --retain "" rec.neg 2>/dev/null || rc=$?
    expect_code "$rc" 2 "--mirror --retain ''"
    expect_eq "$(cli exists 'rbus:history:{raptorflow.events.rec.neg}')" 0 "nothing recorded"
}

mirror_records_what_others_publish_once() {
    bg_ready m1 rbus-subscribe -u "$R_URL" -v --mirror 'mir.*'
    bg_ready m2 rbus-subscribe -u "$R_URL" --mirror mir.a --retain 1h
    local i
    for i in 1 2 3; do cli publish raptorflow.events.mir.a "{\"id\":\"id-$i\",\"type\":\"mir.a\",\"payload\":{}}" > /dev/null; done
    cli publish raptorflow.events.mir.b '{"event_type":"mir.b","payload":{"legacy":true}}' > /dev/null
    cli publish raptorflow.events.mir.b 'not json' > /dev/null
    wait_until 10 has_len mir.a 3 || die "mirror recorded $(stream_len mir.a) of 3"
    wait_until 10 has_len mir.b 1 || die "legacy event not recorded"
    # Two mirrors and a --history publisher: still one entry per id.
    rbus-publish -q -u "$R_URL" --history --id id-1 mir.a || die "publish id-1"
    rbus-publish -q -u "$R_URL" --history --id id-4 mir.a || die "publish id-4"
    wait_until 10 has_len mir.a 4 || die "id-4 not recorded"
    expect_eq "$(cli xrange 'rbus:history:{raptorflow.events.mir.a}' - + | grep -c '"id":')" 4 "one entry per id"
    expect_eq "$(cli xrange 'rbus:history:{raptorflow.events.mir.a}' - + | grep '"id":' | jq -r .id | tr '\n' ' ')" \
        "id-1 id-2 id-3 id-4 " "in order, normalised"
    expect_eq "$(cli xrange 'rbus:history:{raptorflow.events.mir.b}' - + | sed -n 3p | jq -r '.type + " " + (.payload.legacy|tostring)')" \
        "mir.b true" "legacy shape recorded normalised"
    kill -TERM "$m1_PID"; wait "$m1_PID"; expect_code $? 143 "mirror ends on SIGTERM"
    expect_match "$(cat "$TEST_TMP/m1.err")" "mirror: recorded [0-9]+, already recorded [0-9]+, not recorded 0" "summary at -v"
    expect_match "$(cat "$TEST_TMP/m1.err")" "not recorded: invalid message" "invalid message reported"
    local rc=0; rbus-subscribe -u "$R_URL" --mirror --format payload mir.a 2>/dev/null || rc=$?
    expect_code "$rc" 2 "--mirror with --format"
}

mirror_history_connection_killed_records_everything() {
    # The mirror's history connection closed by the server while the
    # subscription stays (an idle timeout, CLIENT KILL): the next events are
    # written on a new connection, none lost (before: "1 event(s) not recorded").
    local key='rbus:history:{raptorflow.events.mk.a}'
    bg_ready mk rbus-subscribe -u "$R_URL" -v --mirror mk.a --count 3 --timeout 30s
    rbus-publish -q -u "$R_URL" mk.a n:=0 || die "publish 0"
    wait_until 10 test "$(cli xlen "$key")" = 1 || die "the first event was not recorded"
    local id
    id=$(cli client list | sed -n 's/^id=\([0-9]*\) .*name=rbus-subscribe-mirror .*/\1/p')
    [ -n "$id" ] || die "no mirror history connection in CLIENT LIST"
    cli client kill id "$id" > /dev/null
    wait_until 10 sh -c "! redis-cli -p $R_PORT client list | grep -q name=rbus-subscribe-mirror" || die "not killed"
    rbus-publish -q -u "$R_URL" mk.a n:=1 || die "publish 1"
    rbus-publish -q -u "$R_URL" mk.a n:=2 || die "publish 2"
    local rc=0; wait "$mk_PID" || rc=$?
    expect_code "$rc" 0 "the mirror took its 3 events"
    expect_eq "$(cli xrange "$key" - + | grep -o '"n":[0-9]' | tr '\n' ' ')" '"n":0 "n":1 "n":2 ' "all three recorded"
    expect_no "$(cat "$TEST_TMP/mk.err")" "not recorded 1" "nothing lost"
    expect_match "$(cat "$TEST_TMP/mk.err")" "history connection lost: .*writing 1 event\(s\) again on a new connection" "-v says so"
}

case_ "--history: stream, seen mark, msg: copy with its TTL, PUBLISH; de-duplicated" publish_history_writes_stream_msg_copy_and_publishes
case_ "--history batches pipelined; a wrong-type key fails the event, not published" batch_history_pipelined_and_wrong_type_fails
case_ "--max-len and --retain trim the history" retention_trims_by_length_and_age
case_ "--mirror records others' events once per id, two mirrors and --history" mirror_records_what_others_publish_once
case_ "the mirror's history connection killed: the next events written on a new one, none lost" mirror_history_connection_killed_records_everything
