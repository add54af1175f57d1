#!/usr/bin/env bash
# Replay then live (SPEC §8) against a real redis-server: --since replays the
# history streams and RaptorBus's msg: keys, then goes live with no gap and no
# duplicate while a publisher keeps publishing; --until replays only.
. "$(dirname "$0")/../lib.sh"
start_redis R --client-output-buffer-limit "pubsub 0 0 0" || exit 1
cli() { redis-cli -p "$R_PORT" "$@"; }
stream_len() { cli xlen "rbus:history:{raptorflow.events.$1}"; }
has_len() { [ "$(stream_len "$1")" -ge "$2" ]; }

replay_then_live_every_id_once_in_order() {
    seq 150 | sed 's/.*/{"n":&}/' | rbus-publish -q -u "$R_URL" --history rp.a --stdin || die "seed a"
    seq 150 | sed 's/.*/{"n":&}/' | rbus-publish -q -u "$R_URL" --history rp.b --stdin || die "seed b"
    # A publisher that keeps going while the subscriber starts, replays and goes live.
    slow() { local i; for i in $(seq "$1" 2 750); do printf '{"n":%d}\n' "$i"; sleep 0.005; done; }
    slow 152 | rbus-publish -q -u "$R_URL" --history rp.a --stdin 2> "$TEST_TMP/pa.err" &
    local pa=$!
    slow 151 | rbus-publish -q -u "$R_URL" --history rp.b --stdin 2> "$TEST_TMP/pb.err" &
    local pb=$!
    wait_until 30 has_len rp.a 200 || die "publisher did not start"
    rbus-subscribe -u "$R_URL" 'rp.*' --since 0 --count 900 --timeout 60s > "$TEST_TMP/all.out" 2> "$TEST_TMP/all.err"
    expect_code $? 0 "subscriber reached --count 900 (err: $(tail -2 "$TEST_TMP/all.err"))"
    wait "$pa" || die "publisher a failed: $(cat "$TEST_TMP/pa.err")"
    wait "$pb" || die "publisher b failed: $(cat "$TEST_TMP/pb.err")"
    expect_eq "$(jq -r .id "$TEST_TMP/all.out" | sort -u | wc -l)" 900 "every event id once"
    expect_eq "$(jq -r 'select(.type=="rp.a") | .payload.n' "$TEST_TMP/all.out" | tr '\n' ' ')" \
        "$( (seq 150; seq 152 2 750) | tr '\n' ' ')" "rp.a in order, none missing"
    expect_eq "$(jq -r 'select(.type=="rp.b") | .payload.n' "$TEST_TMP/all.out" | tr '\n' ' ')" \
        "$( (seq 150; seq 151 2 749) | tr '\n' ' ')" "rp.b in order, none missing"
}

# The largest output buffer the server holds for a pub/sub client, in bytes.
pubsub_omem() { cli client list type pubsub | sed -n 's/.* omem=\([0-9]*\) .*/\1/p' | sort -n | tail -1; }
drained_or_gone() { [ "$(numsub "$R_PORT" "$1")" = 0 ] || [ "$(pubsub_omem)" -lt 1000000 ]; }

slow_reader_keeps_the_live_part() {
    # The replay's output goes to a reader that does not read yet (a FIFO),
    # while 40 MB of live events are published: far past the server's pub/sub
    # buffer limit (16 MB here) and the kernel's socket buffers. The live part
    # is read into memory meanwhile, so the server keeps the subscription and
    # no event is lost (before, it dropped it and 5,000 events were gone).
    # Published 4 MB at a time, each batch once the server's output buffer for
    # the subscriber has drained (or the subscription is gone, as when nothing
    # reads the socket): a reading thread slowed by a sanitizer build, on a
    # loaded machine, is then never measured against the publisher's speed.
    cli config set client-output-buffer-limit "pubsub 16mb 8mb 60" > /dev/null
    seq 2000 | sed 's/.*/{"n":&}/' | rbus-publish -q -u "$R_URL" --history sr.a --stdin || die "seed"
    mkfifo "$TEST_TMP/sr.fifo"
    paused_reader "$TEST_TMP/sr.fifo" "$TEST_TMP/sr.go" "$TEST_TMP/sr.out" &
    local reader=$!
    track "$reader"
    rbus-subscribe -u "$R_URL" sr.a --since 0 --count 7000 --timeout 120s --ready-file "$TEST_TMP/sr.ready" \
        > "$TEST_TMP/sr.fifo" 2> "$TEST_TMP/sr.err" &
    local sub=$!
    track "$sub"
    wait_until 30 test -e "$TEST_TMP/sr.ready" || die "no ready file: $(cat "$TEST_TMP/sr.err")"
    local pad; pad=$(head -c 8000 /dev/zero | tr '\0' x)
    local first
    for first in $(seq 2001 500 6501); do
        seq "$first" $((first + 499)) | sed "s/.*/{\"n\":&,\"pad\":\"$pad\"}/" |
            rbus-publish -q -u "$R_URL" sr.a --stdin || die "publish"
        wait_until 20 drained_or_gone raptorflow.events.sr.a
    done
    expect_eq "$(numsub "$R_PORT" raptorflow.events.sr.a)" 1 "the server kept the subscription"
    touch "$TEST_TMP/sr.go"
    local rc=0; wait "$sub" || rc=$?
    wait "$reader"
    cli config set client-output-buffer-limit "pubsub 0 0 0" > /dev/null
    expect_code "$rc" 0 "--count reached (err: $(tail -2 "$TEST_TMP/sr.err"))"
    expect_eq "$(jq -r .payload.n "$TEST_TMP/sr.out" | tr '\n' ' ')" "$(seq 7000 | tr '\n' ' ')" \
        "the replay, then every live event, once and in order"
    expect_eq "$(grep -c 'not received' "$TEST_TMP/sr.err")" 0 "no events lost"
}

raptorbus_persisted_events_replay() {
    local now old
    now=$(date -u +%FT%T.%6N)
    old=$(date -u -d '-2 hours' +%FT%T.%6N)
    # As publish_event() writes them: the BusEvent JSON, SETEX msg:{channel}:{id} with the TTL rule.
    cli setex msg:raptorflow.events.rb.done:id-2 3600 "{\"id\":\"id-2\",\"type\":\"rb.done\",\"payload\":{\"k\":2},\"priority\":\"normal\",\"request_id\":\"r1\",\"source_agent_id\":\"RES-001\",\"timestamp\":\"$now\",\"version\":\"1.0\",\"retry_count\":0,\"max_retries\":3,\"destination_guild\":null}" > /dev/null
    cli setex msg:raptorflow.events.rb.done:id-1 3600 "{\"id\":\"id-1\",\"type\":\"rb.done\",\"payload\":{\"k\":1},\"priority\":\"high\",\"request_id\":\"r1\",\"source_agent_id\":\"RES-001\",\"timestamp\":\"$(date -u -d '-1 minute' +%FT%T.%6N)\",\"version\":\"1.0\",\"retry_count\":0,\"max_retries\":3,\"destination_guild\":null}" > /dev/null
    cli setex msg:raptorflow.events.rb.done:id-0 3600 "{\"id\":\"id-0\",\"type\":\"rb.done\",\"payload\":{\"k\":0},\"priority\":\"normal\",\"request_id\":null,\"source_agent_id\":null,\"timestamp\":\"$old\"}" > /dev/null
    cli setex msg:sys.global.heartbeat:hb-1 60 "{\"id\":\"hb-1\",\"type\":\"heartbeat\",\"payload\":{},\"priority\":\"low\",\"request_id\":null,\"source_agent_id\":\"MUSE-1\",\"timestamp\":\"$now\"}" > /dev/null
    local out rc
    out=$(rbus-subscribe -u "$R_URL" rb.done --since 10m --count 2 --timeout 20s 2> "$TEST_TMP/rb.err"); rc=$?
    expect_code "$rc" 0 "CI recipe: --since finds what was published before the subscriber"
    expect_eq "$(jq -r .id <<< "$out" | tr '\n' ' ')" "id-1 id-2 " "in timestamp order, the old one excluded"
    expect_eq "$(jq -r .timestamp <<< "$out" | tail -1)" "${now}Z" "normalised timestamp"
    expect_eq "$(jq -r .version <<< "$out" | head -1)" "1.0" "BusEvent keys kept"
    out=$(rbus-subscribe -u "$R_URL" --prefix sys global.heartbeat --since 1m --until 0s --format '{source_agent_id} {channel}'); rc=$?
    expect_code "$rc" 0 "--until exits 0 at the end of the replay"
    expect_eq "$out" "MUSE-1 sys.global.heartbeat" "template over a replayed sys. event"
    out=$(rbus-tail -u "$R_URL" --json 'rb.*' --since 3h --until 0s -c r1 | jq -r .id | tr '\n' ' ')
    expect_eq "$out" "id-1 id-2 " "rbus-tail --since with a correlation filter"
    # A msg: value that is not an envelope, and one without a time: neither can
    # be placed in the range, so both are kept (first), the invalid one reported
    # as --invalid says, never dropped without a word.
    cli setex msg:raptorflow.events.rb.odd:bad 3600 'not json {' > /dev/null
    cli setex msg:raptorflow.events.rb.odd:untimed 3600 '{"id":"untimed","type":"rb.odd","payload":{}}' > /dev/null
    cli setex msg:raptorflow.events.rb.odd:timed 3600 "{\"id\":\"timed\",\"type\":\"rb.odd\",\"payload\":{},\"timestamp\":\"$now\"}" > /dev/null
    out=$(rbus-subscribe -u "$R_URL" rb.odd --since 10m --until 0s --format '{id}' 2> "$TEST_TMP/odd.err"); rc=$?
    expect_code "$rc" 0 "msg: values without a time: the replay goes on"
    expect_eq "$(tr '\n' ' ' <<< "$out")" "untimed timed " "the untimed event first, then by time"
    expect_eq "$(grep -c 'skipped invalid message' "$TEST_TMP/odd.err")" 1 "the value that is not an envelope is reported"
    out=$(rbus-subscribe -u "$R_URL" rb.odd --since 10m --until 0s --invalid emit 2>/dev/null | head -2)
    expect_eq "$(jq -r 'select(.invalid) | [.channel, .raw] | join(" ")' <<< "$out")" "raptorflow.events.rb.odd not json {" \
        "--invalid emit shows it, among the first (the two without a time come in SCAN's order)"
    rbus-subscribe -u "$R_URL" rb.odd --since 10m --until 0s --invalid fail > /dev/null 2>&1; rc=$?
    expect_code "$rc" 5 "--invalid fail ends the replay on it"
}

until_filters_exec_sources_and_warning() {
    seq 5 | sed 's/.*/{"n":&}/' | rbus-publish -q -u "$R_URL" --history un.a --stdin || die "seed"
    local out rc err
    out=$(rbus-subscribe -u "$R_URL" un.a --since 1h --until 0s --where payload.n=4 --format '{payload.n}'); rc=$?
    expect_code "$rc" 0 "filtered replay"
    expect_eq "$out" "4" "--where applies to replayed events"
    out=$(rbus-subscribe -u "$R_URL" un.a --since 1h --until 0s --exec 'echo "$RBUS_EVENT_TYPE $(jq -c .payload)"' | tr '\n' ' ')
    expect_eq "$out" 'un.a {"n":1} un.a {"n":2} un.a {"n":3} un.a {"n":4} un.a {"n":5} ' "--exec per replayed event"
    out=$(rbus-subscribe -u "$R_URL" un.a --since 0 --until 0s --count 2 | wc -l)
    expect_eq "$out" 2 "--count stops the replay"
    # A CI check over history alone (--until) that finds fewer than --count:
    # exit 124 and why, not 0 on nothing (a false green).
    out=$(rbus-subscribe -u "$R_URL" un.a --since 0 --until 0s --count 9 --format '{payload.n}' 2> "$TEST_TMP/ro.err"); rc=$?
    expect_code "$rc" 124 "--until ends with fewer than --count"
    expect_eq "$(echo $out)" "1 2 3 4 5" "what there was is printed"
    expect_eq "$(cat "$TEST_TMP/ro.err")" "rbus-subscribe: error: the history up to --until held 5 of 9 events" "says why"
    rc=0; rbus-subscribe -u "$R_URL" un.a --since 0 --until 0s --count 5 > /dev/null || rc=$?
    expect_code "$rc" 0 "--count reached exactly at the end"
    err=$(rbus-subscribe -u "$R_URL" -v 'un.*' nothing.here --since 0 --until 0s 2>&1 >/dev/null)
    expect_match "$err" "replay read 1 stream\\(s\\) \\(5 entries\\) rbus:history:\\{raptorflow.events.un.a\\}" "-v names the sources"
    expect_match "$err" "WARN bus - no history for raptorflow.events.nothing.here" "warns about a channel without history"
    cli set 'rbus:history:{raptorflow.events.un.bad}' x > /dev/null
    err=$(rbus-subscribe -u "$R_URL" un.bad --since 0 --until 0s 2>&1); rc=$?
    expect_code "$rc" 2 "history key of the wrong type"
    expect_eq "$err" "rbus-subscribe: error: history key rbus:history:{raptorflow.events.un.bad} is not a stream" "names the key"
    # Found by a pattern it is the same error (it was skipped: "no history", exit 0).
    err=$(rbus-subscribe -u "$R_URL" 'un.*' --since 0 --until 0s 2>&1 > /dev/null); rc=$?
    expect_code "$rc" 2 "a pattern over a history key of the wrong type"
    expect_eq "$err" "rbus-subscribe: error: history key rbus:history:{raptorflow.events.un.bad} is not a stream" "names the key too"
    err=$(rbus-subscribe -u "$R_URL" 'un.*' --group g --count 1 --timeout 10s 2>&1 > /dev/null); rc=$?
    expect_code "$rc" 2 "a group over the same pattern"
    expect_eq "$err" "rbus-subscribe: error: history key rbus:history:{raptorflow.events.un.bad} is not a stream" "names it"
    err=$(rbus-subscribe -u "$R_URL" un.a --since yesterday 2>&1); rc=$?
    expect_code "$rc" 2 "bad --since"
    expect_lines "$err" 1 "one error line"
    # Epoch seconds and --until 0 (meant as now) are no recorded time: refused, not "everything" / "nothing".
    err=$(rbus-subscribe -u "$R_URL" un.a --since "$(date +%s)" --until 0s 2>&1); rc=$?
    expect_code "$rc" 2 "--since epoch seconds"
    expect_match "$err" "a bare number is a stream ID's milliseconds \\(1970-" "--since epoch seconds: said why"
    rc=0; rbus-subscribe -u "$R_URL" un.a --since 0 --until 0 > /dev/null 2>&1 || rc=$?
    expect_code "$rc" 2 "--until 0"
    rc=0; rbus-subscribe -u "$R_URL" un.a --since 00 --until 0s > /dev/null 2>&1 || rc=$?
    expect_code "$rc" 0 "--since 00 is the beginning too"
    rc=0; rbus-subscribe -u "$R_URL" un.a --since 1796124683294-18446744073709551616 --until 0s > /dev/null 2>&1 || rc=$?
    expect_code "$rc" 2 "a sequence past 2^64 - 1 (the server's ERR was exit 1)"
}

# XADD N envelopes of type TYPE to its stream as the recorders write them,
# pipelined (python writes the RESP): timestamps one second apart from START
# (epoch seconds), each with a payload of PAD bytes.
seed_stream() {
    local type=$1 n=$2 start=$3 pad=${4:-0}
    python3 - "$type" "$n" "$start" "$pad" <<'PY' | redis-cli -p "$R_PORT" --pipe > /dev/null
import datetime, json, sys
t, n, start, pad = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
key = "rbus:history:{raptorflow.events.%s}" % t
out = sys.stdout.buffer
for i in range(n):
    ts = datetime.datetime.fromtimestamp(start + i, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    env = json.dumps({"id": "%s-%d" % (t, i), "type": t, "payload": {"n": i, "pad": "x" * pad}, "priority": "normal",
                      "request_id": None, "source_agent_id": None, "timestamp": ts}, separators=(",", ":")).encode()
    args = [b"XADD", key.encode(), b"*", b"envelope", env]
    out.write(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
PY
}

# seed_msg_keys TYPE PREFIX N PAD: N RaptorBus msg: keys of TYPE (ids PREFIX-0..),
# each envelope padded by PAD bytes, a microsecond apart.
seed_msg_keys() {
    python3 - "$@" <<'PY' | redis-cli -p "$R_PORT" --pipe > /dev/null
import sys
t, prefix, n, pad = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
out = sys.stdout.buffer
for i in range(n):
    env = ('{"id":"%s-%d","type":"%s","payload":{"pad":"%s"},"timestamp":"2026-11-30T10:00:00.%06dZ"}' % (prefix, i, t, "y" * pad, i)).encode()
    args = [b"SETEX", b"msg:raptorflow.events.%s:%s-%d" % (t.encode(), prefix.encode(), i), b"600", env]
    out.write(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
PY
}

streams_printed_as_read_merged_by_time() {
    # Two streams whose times interleave: the replay merges them, each read page
    # by page on one connection (more than a page each).
    seed_stream st.a 1500 1700000000
    seed_stream st.b 1500 1700000000
    local out
    out=$(rbus-subscribe -u "$R_URL" 'st.*' --since 0 --until 0s --format '{type} {payload.n}')
    expect_eq "$(wc -l <<< "$out")" 3000 "every entry of both streams"
    expect_eq "$(awk '{print $2}' <<< "$out" | awk 'NR > 1 && $1 < last { bad = 1 } { last = $1 } END { print bad ? "out of order" : "ordered" }')" \
        ordered "merged by time across the two streams"
    expect_eq "$(grep -c '^st.a ' <<< "$out") $(grep -c '^st.b ' <<< "$out")" "1500 1500" "both streams whole"
    # A few RaptorBus msg: keys beside the long stream: merged in by time, the
    # stream's own copy of an event shown once.
    local at10 at20
    at10=$(date -u -d @1700000010 +%FT%T.500000Z)
    at20=$(date -u -d @1700000020 +%FT%T.000000Z)
    cli setex msg:raptorflow.events.st.a:k-1 600 "{\"id\":\"k-1\",\"type\":\"st.a\",\"payload\":{},\"timestamp\":\"$at10\"}" > /dev/null
    cli setex msg:raptorflow.events.st.a:st.a-20 600 "{\"id\":\"st.a-20\",\"type\":\"st.a\",\"payload\":{\"n\":20},\"timestamp\":\"$at20\"}" > /dev/null
    out=$(rbus-subscribe -u "$R_URL" st.a --since 0 --until 0s --format '{id}')
    expect_eq "$(wc -l <<< "$out")" 1501 "the stream and the one msg: key it did not give"
    expect_eq "$(sed -n '10,13p' <<< "$out" | tr '\n' ' ')" "st.a-9 st.a-10 k-1 st.a-11 " "the msg: key in its time's place"
    expect_eq "$(grep -c '^st.a-20$' <<< "$out")" 1 "an event in both shown once"
    # Two types: one SCAN for both, each msg: key given to its own channel only.
    cli setex msg:raptorflow.events.st.ab:x-1 600 "{\"id\":\"x-1\",\"type\":\"st.ab\",\"payload\":{},\"timestamp\":\"$at10\"}" > /dev/null
    scans() { cli info commandstats | sed -n 's/^cmdstat_scan:calls=\([0-9]*\),.*/\1/p'; }
    cli config resetstat > /dev/null
    rbus-subscribe -u "$R_URL" st.a --since 0 --until 0s > /dev/null || die "replay of st.a"
    local one; one=$(scans)
    cli config resetstat > /dev/null
    out=$(rbus-subscribe -u "$R_URL" st.a st.b --since 0 --until 0s --format '{id}')
    expect_eq "$(wc -l <<< "$out") $(grep -c '^k-1$' <<< "$out") $(grep -c '^x-1$' <<< "$out")" "3001 1 0" \
        "both streams, st.a's msg: key, not st.ab's"
    expect_eq "$(scans)" "$one" "two types walk the keyspace once, as one does"
    # Ties go to the earlier subscription; --count stops the replay (and the reading) early.
    expect_eq "$(rbus-subscribe -u "$R_URL" st.a st.b --since 0 --until 0s --count 3 --format '{id}' | tr '\n' ' ')" \
        "st.a-0 st.b-0 st.a-1 " "--count over merged streams"
    # Memory stays flat with the stream's length: 24 MB of history replayed
    # costs little more than 0.5 MB (a stream read whole would hold all of it).
    [ -n "${ASAN_OPTIONS:-}" ] && export ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
    seed_stream st.small 500 1700000000 1000
    seed_stream st.big 24000 1700000000 1000
    peak() {
        python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$BIN/rbus-subscribe" -u "$R_URL" "$1" --since 0 --until 0s
    }
    local small big
    # Envelopes of 40 kB: a page of 1,000 (or a MGET of 1,000 msg: keys) would be a
    # reply past the 32 MiB bound; pages are sized by bytes.
    seed_stream st.wide 900 1700000000 40000
    seed_msg_keys st.widemsg w 900 40000
    expect_eq "$(rbus-subscribe -u "$R_URL" st.wide --since 0 --until 0s --format '{payload.n}' | wc -l)" 900 "a stream of 40 kB envelopes"
    expect_eq "$(rbus-subscribe -u "$R_URL" st.widemsg --since 0 --until 0s --format '{id}' | wc -l)" 900 "900 msg: keys of 40 kB"
    # Envelopes of 9 MB, as the first entries of a stream and as msg: keys: the
    # first page (or MGET) of one, each next sized by what was seen, so no reply
    # passes the 32 MiB bound (a first page of several would).
    seed_stream st.huge 4 1700000000 9000000
    seed_msg_keys st.hugemsg h 4 9000000
    expect_eq "$(rbus-subscribe -u "$R_URL" st.huge --since 0 --until 0s --format '{payload.n}' | tr '\n' ' ')" "0 1 2 3 " \
        "a stream of 9 MB envelopes"
    expect_eq "$(rbus-subscribe -u "$R_URL" st.hugemsg --since 0 --until 0s --format '{id}' | tr '\n' ' ')" "h-0 h-1 h-2 h-3 " \
        "msg: keys of 9 MB"
    # A few large events and a --timeout shorter than their printing: the clock
    # is read as they print (not only every 64 events), and once the replay is
    # over (exit 124: --count was not reached in time).
    rc=0; rbus-subscribe -u "$R_URL" st.huge --since 0 --until 0s --timeout 1ms --count 10 --format '{payload.n}' \
        > /dev/null 2> "$TEST_TMP/huge.err" || rc=$?
    expect_code "$rc" 124 "--timeout over a few large events"
    expect_match "$(cat "$TEST_TMP/huge.err")" "timed out after 1ms: [0-4] of 10 events" "said so"
    cli del 'rbus:history:{raptorflow.events.st.huge}' msg:raptorflow.events.st.hugemsg:h-{0,1,2,3} > /dev/null
    # Small envelopes first, then 40 kB ones (as rbus-publish --history writes
    # them: a stream entry and a msg: key each): the page (or MGET) sized by the
    # small ones would be 40 MB, past the bound; it is read past and asked again
    # smaller. Every event once, in order.
    seq 1000 | sed 's/.*/{"n":&}/' | rbus-publish -q -u "$R_URL" --history st.grow --stdin || die "seed small"
    python3 -c 'import json
for i in range(1001, 2001): print(json.dumps({"n": i, "pad": "z" * 40000}))' |
        rbus-publish -q -u "$R_URL" --history st.grow --stdin || die "seed large"
    expect_eq "$(rbus-subscribe -u "$R_URL" st.grow --since 0 --until 0s --format '{payload.n}' | md5sum)" \
        "$(seq 2000 | md5sum)" "small envelopes, then 40 kB ones: every event once, in order"
    cli rename 'rbus:history:{raptorflow.events.st.grow}' st.grow.saved > /dev/null  # the msg: keys alone
    expect_eq "$(rbus-subscribe -u "$R_URL" st.grow --since 0 --until 0s --format '{payload.n}' | sort -n | md5sum)" \
        "$(seq 2000 | md5sum)" "the same from the msg: keys alone, each once"
    cli del st.grow.saved > /dev/null
    cli --scan --pattern 'msg:raptorflow.events.st.grow:*' | xargs -n 500 redis-cli -p "$R_PORT" del > /dev/null
    # --metrics: what was replayed counts as matched, not filtered.
    expect_eq "$(rbus-subscribe -u "$R_URL" st.a --since 0 --until 0s --metrics 2>&1 >/dev/null | grep -o '"filtered":[0-9]*' | tail -1)" \
        '"filtered":0' "--metrics after a replay"
    local rc=0; rbus-subscribe -u "$R_URL" st.a --since "" 2> /dev/null || rc=$?
    expect_code "$rc" 2 "--since \"\" (an unset variable) is an error, not live only"
    small=$(peak st.small) || die "replay of st.small failed"
    big=$(peak st.big) || die "replay of st.big failed"
    [ $((big - small)) -lt 12000 ] || die "peak RSS grew from ${small} KiB to ${big} KiB with the stream's length"
}

msg_keys_in_a_large_keyspace() {
    # A keyspace that takes SCAN a while to walk (150,000 other keys, in
    # database 5): what it finds is merged in its place in a long stream.
    local url=$R_URL/5
    python3 - <<'PY' | redis-cli -p "$R_PORT" -n 5 --pipe > /dev/null
import sys
out = sys.stdout.buffer
for i in range(150000):
    k = b"fill:%d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nx\r\n" % (len(k), k))
PY
    # 20,000 stream entries one second apart; 50 msg: keys of their own
    # between them and 20 that repeat stream events (same id and envelope).
    python3 - <<'PY' | redis-cli -p "$R_PORT" -n 5 --pipe > /dev/null
import datetime, json, sys
out = sys.stdout.buffer
def cmd(*args):
    out.write(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
def env(i, ts, eid):
    t = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps({"id": eid, "type": "ra.a", "payload": {"n": i}, "timestamp": t}, separators=(",", ":")).encode()
for i in range(20000):
    cmd(b"XADD", b"rbus:history:{raptorflow.events.ra.a}", b"*", b"envelope", env(i, 1700000000 + i, "s-%d" % i))
for k in range(50):
    i = 400 * k + 7
    cmd(b"SETEX", b"msg:raptorflow.events.ra.a:m-%d" % i, b"600", env(-i, 1700000000 + i + 0.5, "m-%d" % i))
for k in range(20):
    i = 1000 * k + 3
    cmd(b"SETEX", b"msg:raptorflow.events.ra.a:s-%d" % i, b"600", env(i, 1700000000 + i, "s-%d" % i))
PY
    local out
    out=$(rbus-subscribe -u "$url" ra.a --since 0 --until 0s --format '{id}')
    expect_eq "$(wc -l <<< "$out") $(sort -u <<< "$out" | wc -l)" "20050 20050" "every event once: the stream's and the msg: keys' of their own"
    expect_eq "$(grep -n -m2 '^m-' <<< "$out" | tr '\n' ' ')" "9:m-7 410:m-407 " "a msg: event in its time's place"
    expect_eq "$(grep -n '^s-19003$' <<< "$out")" "19052:s-19003" "an event in both, once, in the stream's place"
    # Recorded by rbus-publish --history (a msg: key beside each entry): the
    # stream read whole first, and the msg: keys of its events not fetched.
    seq 3000 | sed 's/.*/{"n":&}/' | rbus-publish -q -u "$url" --history ra.h --stdin || die "seed ra.h"
    cli config resetstat > /dev/null
    out=$(rbus-subscribe -u "$url" ra.h --since 0 --until 0s --format '{payload.n}')
    expect_eq "$(wc -l <<< "$out") $(sort -u <<< "$out" | wc -l)" "3000 3000" "--history's events once each"
    expect_eq "$(cli info commandstats | grep -c '^cmdstat_mget:')" 0 "msg: keys of events the stream gave are not fetched"
    expect_eq "$(head -3 <<< "$out" | tr '\n' ' ')$(tail -1 <<< "$out")" "1 2 3 3000" "in order"
}

printed_ahead_while_scan_walks() {
    # A keyspace that takes SCAN a while to walk (150,000 other keys, in
    # database 6) beside a 5,000-entry stream: the replay prints the stream
    # ahead while it walks and holds that output until the SCAN has found no
    # msg: key to go first; when it finds one, what it held is never shown.
    local url=$R_URL/6
    python3 - <<'PY' | redis-cli -p "$R_PORT" -n 6 --pipe > /dev/null
import datetime, json, sys
out = sys.stdout.buffer
def cmd(*args):
    out.write(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
for i in range(150000):
    cmd(b"SET", b"fill:%d" % i, b"x")
for i in range(5000):
    t = datetime.datetime.fromtimestamp(1700000000 + i, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    env = json.dumps({"id": "p-%d" % i, "type": "pa.a", "payload": {"n": i}, "timestamp": t}, separators=(",", ":")).encode()
    cmd(b"XADD", b"rbus:history:{raptorflow.events.pa.a}", b"*", b"envelope", b"not json" if i == 2500 else env)
PY
    local out err
    out=$(rbus-subscribe -u "$url" pa.a --since 0 --until 0s --format '{id}' --invalid emit -v 2> "$TEST_TMP/ahead.err")
    err=$(cat "$TEST_TMP/ahead.err")
    expect_eq "$(wc -l <<< "$out") $(grep -c '^p-' <<< "$out")" "5000 4999" "every entry once, the invalid one reported"
    expect_eq "$(sed -n '2500p;2502p' <<< "$out" | tr '\n' ' ')$(sed -n '2501p' <<< "$out" | jq -r .error | head -c 7)" \
        "p-2499 p-2501 invalid" "in the stream's order, the invalid entry in its place"
    expect_match "$err" "[0-9]+ event\(s\) printed ahead while the SCAN for msg: keys walked \(it found none\)" "-v says it printed ahead"
    expect_eq "$(rbus-subscribe -u "$url" pa.a --since 0 --until 0s --format '{id}' --count 100 | tr '\n' ' ' | cut -d' ' -f1,100,101)" \
        "p-0 p-99 " "--count stops there"
    # A RaptorBus msg: key whose event goes before the whole stream: what was
    # printed ahead is taken back, and the replay shows it first.
    cli -n 6 setex msg:raptorflow.events.pa.a:first 600 \
        '{"id":"first","type":"pa.a","payload":{},"timestamp":"2023-11-14T00:00:00.000000Z"}' > /dev/null
    out=$(rbus-subscribe -u "$url" pa.a --since 0 --until 0s --format '{id}' --invalid skip -v 2> "$TEST_TMP/ahead.err")
    err=$(cat "$TEST_TMP/ahead.err")
    expect_eq "$(head -2 <<< "$out" | tr '\n' ' ')$(wc -l <<< "$out") $(sort -u <<< "$out" | wc -l)" "first p-0 5000 5000" \
        "the msg: event first, then the stream, each once"
    expect_match "$err" "were taken back \(it found some\): the replay started again with them in place" "-v says so"
    expect_eq "$(grep -c 'skipped invalid message' <<< "$err")" 1 "the invalid entry reported once"
    # SIGTERM while it walks: exit 143, and nothing held is ever written
    # (whatever was printed starts with the msg: event).
    # --metrics counts what was printed, not what was held and dropped.
    rm -f "$TEST_TMP/ahead.ready"
    rbus-subscribe -u "$url" pa.a --since 0 --until 0s --format '{id}' --ready-file "$TEST_TMP/ahead.ready" --metrics \
        > "$TEST_TMP/ahead.out" 2> "$TEST_TMP/ahead.err" &
    local pid=$!
    track "$pid"
    wait_until 30 test -e "$TEST_TMP/ahead.ready" || die "no ready file"
    kill -TERM "$pid"
    local rc=0; wait "$pid" || rc=$?
    [ "$rc" = 143 ] || [ "$rc" = 0 ] || die "exit $rc after SIGTERM"
    [ ! -s "$TEST_TMP/ahead.out" ] || expect_eq "$(head -1 "$TEST_TMP/ahead.out")" first "what a stopped replay printed"
    expect_eq "$(grep -o '"received":[0-9]*' "$TEST_TMP/ahead.err")" "\"received\":$(wc -l < "$TEST_TMP/ahead.out")" \
        "--metrics counts only what was printed"
    # A server that takes no second connection: the SCAN first, as before.
    cli config set maxclients 1 > /dev/null
    rc=0; out=$(rbus-subscribe -u "$url" pa.a --since 0 --until 0s --format '{id}' -v 2> "$TEST_TMP/ahead.err") || rc=$?
    cli config set maxclients 10000 > /dev/null
    expect_code "$rc" 0 "replay with maxclients 1"
    expect_eq "$(head -1 <<< "$out") $(wc -l <<< "$out")" "first 5000" "every event, the msg: event first"
    expect_match "$(cat "$TEST_TMP/ahead.err")" "no second connection for the SCAN" "-v says why it did not print ahead"
    # stdout closed by the caller (>&-): an error, not events written into a Redis connection.
    rc=0; rbus-subscribe -u "$url" pa.a --since 0 --until 0s --count 2 >&- 2> "$TEST_TMP/ahead.err" || rc=$?
    expect_code "$rc" 1 "stdout closed"
    expect_match "$(cat "$TEST_TMP/ahead.err")" "cannot write to stdout: Bad file descriptor" "said so"
}

timeout_bounds_the_scan() {
    # --timeout ends the run even while the SCAN for msg: keys still walks
    # database 6 (150,000 keys, left by the case before): with --count, exit
    # 124 and nothing shown (what was printed ahead is dropped, not counted),
    # whether the replay ends there (--until) or would go live.
    local url=$R_URL/6 rc out mode
    for mode in "--until 0s" "--ready-file $TEST_TMP/to.ready"; do
        rc=0; out=$(rbus-subscribe -u "$url" pa.a --since 0 $mode --timeout 1ms --count 1 --metrics 2> "$TEST_TMP/to.err") || rc=$?
        expect_code "$rc" 124 "--timeout during the SCAN (${mode%% *})"
        expect_eq "$out" "" "nothing shown (${mode%% *})"
        expect_match "$(cat "$TEST_TMP/to.err")" "timed out after 1ms: 0 of 1 event" "said so (${mode%% *})"
        expect_match "$(cat "$TEST_TMP/to.err")" '"received":0' "--metrics counts nothing held (${mode%% *})"
    done
    out=$(rbus-subscribe -u "$url" pa.a --since 0 --until 0s --timeout 60s --count 1 --format '{id}')
    expect_eq "$out" first "a --timeout longer than the SCAN: the first event"
}

timeout_bounds_a_stalled_page() {
    # A server that stops answering in the middle of a replay (SIGSTOP, on a
    # server of its own): the wait for the next stream page ends at --timeout
    # (124 with --count, a warning saying what it came before), not at the
    # 10 s reply timeout with an error (before: "no reply ... to XRANGE").
    start_redis S || die "could not start a second redis-server"
    R_PORT=$S_PORT seed_stream st.stall 20000 1700000000 100
    mkfifo "$TEST_TMP/stall.fifo"
    python3 - "$TEST_TMP/stall.fifo" "$TEST_TMP/stall.go" "$TEST_TMP/stall.out" <<'PY2' &
import os, sys, time
fifo = os.open(sys.argv[1], os.O_RDONLY)
with open(sys.argv[3], "wb") as out:
    first = b""
    while b"\n" not in first:
        first += os.read(fifo, 1)
    out.write(first)
    out.flush()
    while not os.path.exists(sys.argv[2]):
        time.sleep(0.01)
    while chunk := os.read(fifo, 1 << 16):
        out.write(chunk)
PY2
    local reader=$!
    track "$reader"
    rbus-subscribe -u "$S_URL" st.stall --since 0 --count 30000 --timeout 6s --format '{id}' \
        > "$TEST_TMP/stall.fifo" 2> "$TEST_TMP/stall.err" &
    local sub=$!
    track "$sub"
    wait_until 30 test -s "$TEST_TMP/stall.out" || die "no first event: $(cat "$TEST_TMP/stall.err")"
    kill -STOP "$S_PID"
    touch "$TEST_TMP/stall.go"
    local rc=0
    wait_until 30 sh -c "! kill -0 $sub" || rc=running
    kill -CONT "$S_PID"
    [ "$rc" = running ] && die "still running 30 s later"
    wait "$sub" || rc=$?
    wait "$reader"
    expect_code "$rc" 124 "--timeout while the server held back a page (err: $(tail -2 "$TEST_TMP/stall.err"))"
    expect_match "$(cat "$TEST_TMP/stall.err")" \
        "the --timeout came before the server sent the replay's next history page: nothing more is printed" "said so"
    expect_no "$(cat "$TEST_TMP/stall.err")" "no reply" "not a reply timeout"
    local n; n=$(wc -l < "$TEST_TMP/stall.out")
    expect_eq "$(head -1 "$TEST_TMP/stall.out") $(sed -n "${n}p" "$TEST_TMP/stall.out")" "st.stall-0 st.stall-$((n - 1))" \
        "what was printed: the first events, in order"
    stop_pid "$S_PID"
}

case_ "--since: replay then live under concurrent publishing, every id once, in order" replay_then_live_every_id_once_in_order
case_ "a reader slower than the live traffic during the replay: the live part kept, nothing lost" slow_reader_keeps_the_live_part
case_ "RaptorBus's msg: keys replay with --since, in timestamp order; --until ends" raptorbus_persisted_events_replay
case_ "--until with filters, --exec, --count; -v sources; no-history warning; wrong type" until_filters_exec_sources_and_warning
case_ "streams read as printed: merged by time across streams, --count, memory flat with length" streams_printed_as_read_merged_by_time
case_ "a long SCAN beside a long stream: msg: keys merged in place, each event once" msg_keys_in_a_large_keyspace
case_ "printed ahead while SCAN walks: held until it finds no msg: key to go first, else taken back" printed_ahead_while_scan_walks
case_ "--timeout ends the run while the SCAN for msg: keys walks" timeout_bounds_the_scan
case_ "--timeout ends the run while a stalled server holds back the next stream page" timeout_bounds_a_stalled_page
