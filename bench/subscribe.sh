#!/usr/bin/env bash
# Subscribe throughput: rbus-subscribe against redis-cli SUBSCRIBE, each
# consuming the same N envelopes pushed by redis-cli --pipe (prebuilt RESP
# PUBLISH commands) as fast as the server takes them, one consumer at a time,
# on one private redis-server in the same run. Counts lost messages and
# reports messages/s of both, their ratio, and rbus-subscribe's peak RSS.
# Usage: bench/subscribe.sh [N]   (RBUS_BUILD selects the build; default build/)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${RBUS_BUILD:-$ROOT/build}
SUB=$BUILD/tools/rbus-subscribe
PUB=$BUILD/tools/rbus-publish
N=${1:-200000}
[ -x "$SUB" ] && [ -x "$PUB" ] || { echo "no $SUB or $PUB: build first (scripts/build)" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rbus-bench.XXXXXX")
REDIS_PID=
cleanup() { [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

port=
for _ in $(seq 100); do
    p=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { port=$p; break; }
done
[ -n "$port" ] || { echo "no free port" >&2; exit 1; }
# No pub/sub output-buffer limit: a consumer slower than the publisher is
# measured, not disconnected (the default 32mb/8mb limit would drop it).
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" --logfile "$TMP/redis.log" \
    --client-output-buffer-limit 'pubsub 0 0 0' &
REDIS_PID=$!
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
URL=redis://127.0.0.1:$port
TYPE=bench.item
CHANNEL=raptorflow.events.$TYPE

# Real envelopes (rbus-publish --dry-run), prebuilt as RESP PUBLISH commands.
seq "$N" | sed 's/.*/{"n":&,"agent_id":"RES-001","status":"ok","text":"benchmark event number &"}/' |
    "$PUB" --dry-run -u "$URL" -w ws-bench "$TYPE" --stdin > "$TMP/envelopes" 2>/dev/null
python3 - "$CHANNEL" "$TMP/envelopes" "$TMP/resp" <<'PY'
import sys
channel = sys.argv[1].encode()
with open(sys.argv[2], 'rb') as src, open(sys.argv[3], 'wb') as out:
    head = b'*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s\r\n' % (len(channel), channel)
    for line in src:
        body = line.rstrip(b'\n')
        out.write(head + b'$%d\r\n%s\r\n' % (len(body), body))
PY
bytes=$(wc -c < "$TMP/envelopes")

now() { date +%s.%N; }
wait_subscribed() {
    for _ in $(seq 500); do
        [ "$(redis-cli -p "$port" pubsub numsub "$CHANNEL" | sed -n 2p)" = 1 ] && return 0
        sleep 0.01
    done
    echo "consumer did not subscribe" >&2; exit 1
}

# rbus-subscribe: every envelope read, normalised and printed as a JSON line.
/usr/bin/time -f %M -o "$TMP/rss" "$SUB" -u "$URL" "$TYPE" --count "$N" --timeout 120s \
    --ready-file "$TMP/ready" 2> "$TMP/rbus.err" | wc -l > "$TMP/rbus.lines" &
rbus_job=$!
for _ in $(seq 500); do [ -e "$TMP/ready" ] && break; sleep 0.01; done
start=$(now)
redis-cli -p "$port" --pipe < "$TMP/resp" > /dev/null
wait "$rbus_job" || true
rbus_time=$(echo "$(now) - $start" | bc)
rbus_got=$(cat "$TMP/rbus.lines")

# redis-cli SUBSCRIBE: 3 lines per message after 3 lines of confirmation.
# redis-cli does not flush a pipe per message, so its end is taken on the
# server: the moment its output buffer for the subscriber is empty (omem=0),
# all but the last socket buffer (~ms) was read. Then it is disconnected and
# its lines counted.
( timeout 120 redis-cli -p "$port" subscribe "$CHANNEL" 2>/dev/null || true ) |
    awk 'END { print int((NR - 3) / 3) }' > "$TMP/cli.count" &
cli_job=$!
wait_subscribed
start=$(now)
redis-cli -p "$port" --pipe < "$TMP/resp" > /dev/null
for _ in $(seq 12000); do
    redis-cli -p "$port" client list type pubsub | grep -q ' omem=0 ' && break
    sleep 0.005
done
end=$(now)
redis-cli -p "$port" client kill type pubsub > /dev/null
wait "$cli_job" || true
cli_time=$(echo "$end - $start" | bc)
cli_got=$(cat "$TMP/cli.count")

rate() { echo "$1 / $2" | bc; }
rbus_rate=$(rate "$rbus_got" "$rbus_time"); cli_rate=$(rate "$cli_got" "$cli_time")
printf 'envelopes: %d (%d bytes of JSON, %d bytes each on average)\n' "$N" "$bytes" $((bytes / N))
printf '%-34s %10s %8s %10s\n' consumer messages/s lost time
printf '%-34s %10s %8s %9.2fs\n' "rbus-subscribe (json lines)" "$rbus_rate" $((N - rbus_got)) "$rbus_time"
printf '%-34s %10s %8s %9.2fs\n' "redis-cli SUBSCRIBE" "$cli_rate" $((N - cli_got)) "$cli_time"
printf 'ratio rbus / redis-cli: %s\n' "$(echo "scale=2; $rbus_rate / $cli_rate" | bc)"
printf 'rbus-subscribe peak RSS: %s KiB\n' "$(cat "$TMP/rss")"
