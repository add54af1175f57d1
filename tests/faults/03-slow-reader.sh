#!/usr/bin/env bash
# Faults: a slow reader on stdout. The tool blocks on its stdout instead of
# buffering without bound; Redis drops it at its pubsub output-buffer limit;
# once the reader reads again the tool reconnects and says so on stderr.
. "$(dirname "$0")/../lib.sh"
start_redis R --client-output-buffer-limit "pubsub 256kb 128kb 1" || exit 1
export REDIS_URL=$R_URL

# flood_mb N: N MiB of envelopes (1 KiB payloads) on raptorflow.events.slow.tick.
flood_mb() {
    /usr/bin/python3 - "$R_PORT" "$1" <<'PY'
import redis, sys, json
r = redis.Redis(port=int(sys.argv[1]))
pad = "x" * 1000
p = r.pipeline(transaction=False)
for i in range(int(sys.argv[2]) * 1024):
    p.publish("raptorflow.events.slow.tick", json.dumps({"type": "slow.tick", "payload": {"i": i, "pad": pad}}, separators=(",", ":")))
    if i % 500 == 0:
        p.execute()
p.execute()
PY
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# The bound: 64 MiB; under AddressSanitizer its quarantine of freed memory
# (256 MiB by default) comes on top.
RSS_LIMIT_KB=65536
[ -n "${ASAN_OPTIONS:-}" ] && RSS_LIMIT_KB=$((65536 + 262144 + 65536))

slow_reader_dropped_and_reconnected() {
    local fifo=$TEST_TMP/out.fifo gate=$TEST_TMP/gate sub rss peak=0 rc
    mkfifo "$fifo"
    # The reader holds the fifo open but reads nothing until the gate opens.
    ( until [ -e "$gate" ]; do sleep 0.05; done; exec cat ) < "$fifo" > "$TEST_TMP/read.out" &
    track $!
    timeout -k 2 60 rbus-subscribe 'slow.*' --ping-interval 1s --metrics --ready-file "$TEST_TMP/ready" \
        > "$fifo" 2> "$TEST_TMP/sub.err" &
    sub=$!; track "$sub"
    wait_until 10 test -e "$TEST_TMP/ready" || die "not ready: $(cat "$TEST_TMP/sub.err")"
    local pid
    pid=$(pgrep -P "$sub" -x rbus-subscribe) || die "no rbus-subscribe"
    flood_mb 32 || die "publish"
    wait_until 15 grep -q "for overcoming of output buffer limits" "$TEST_TMP"/redis-R-*/redis.log ||
        die "redis did not drop the slow client"
    rss=$(rss_kb "$pid")
    # 32 MiB went by; the tool holds no more than its socket and pipe's worth.
    [ "$rss" -lt "$RSS_LIMIT_KB" ] || die "rbus-subscribe grew to ${rss} kB with a stalled reader"
    touch "$gate"
    wait_until 20 grep -q "reconnected after" "$TEST_TMP/sub.err" || die "no reconnect: $(cat "$TEST_TMP/sub.err")"
    expect_match "$(cat "$TEST_TMP/sub.err")" "WARN bus - connection lost: .*; reconnecting" "the drop is reported"
    # Resubscribed: a new event gets through.
    wait_until 15 sh -c "[ \"\$(redis-cli -p $R_PORT publish raptorflow.events.slow.after '{\"type\":\"slow.after\",\"payload\":{}}')\" = 1 ]" ||
        die "not resubscribed"
    wait_until 10 grep -q '"type":"slow.after"' "$TEST_TMP/read.out" || die "event after the reconnect not printed"
    kill -TERM "$pid"
    rc=0; wait "$sub" || rc=$?
    expect_code "$rc" 143 "SIGTERM"
    jq -c . "$TEST_TMP/read.out" > /dev/null || die "partial lines on stdout"
    expect_eq "$(tail -1 "$TEST_TMP/sub.err" | jq .reconnects)" 1 "reconnect counted"
}

# rbus-tail in the same situation, with a sleeping reader in a pipe.
slow_tail_reader() {
    local sub pid rc
    ( timeout -k 2 60 rbus-tail 'slow.*' --json --ping-interval 1s --ready-file "$TEST_TMP/t.ready" 2> "$TEST_TMP/t.err" |
        (until [ -e "$TEST_TMP/t.gate" ]; do sleep 0.05; done; exec cat) > "$TEST_TMP/t.out" ) &
    sub=$!; track "$sub"
    wait_until 10 test -e "$TEST_TMP/t.ready" || die "rbus-tail not ready: $(cat "$TEST_TMP/t.err")"
    pid=$(pgrep -x rbus-tail -P "$(pgrep -x timeout -P "$sub")") || die "no rbus-tail"
    local before
    before=$(grep -c "for overcoming of output buffer limits" "$TEST_TMP"/redis-R-*/redis.log)
    flood_mb 32 || die "publish"
    wait_until 15 eval '[ "$(grep -c "for overcoming of output buffer limits" "$TEST_TMP"/redis-R-*/redis.log)" -gt "$before" ]' ||
        die "redis did not drop rbus-tail"
    [ "$(rss_kb "$pid")" -lt "$RSS_LIMIT_KB" ] || die "rbus-tail grew to $(rss_kb "$pid") kB"
    touch "$TEST_TMP/t.gate"
    wait_until 20 grep -q "reconnected after" "$TEST_TMP/t.err" || die "rbus-tail did not reconnect: $(cat "$TEST_TMP/t.err")"
    kill -INT "$pid"
    rc=0; wait "$sub" || rc=$?
    jq -c . "$TEST_TMP/t.out" > /dev/null || die "partial lines from rbus-tail"
}

case_ "stalled stdout: bounded memory, dropped by redis, reconnect reported" slow_reader_dropped_and_reconnected
case_ "rbus-tail behind a sleeping pipe: bounded, reconnects" slow_tail_reader
