# Shared by the consumer benchmarks (subscribe.sh, rss.sh, latency.sh); sourced.
# Sets ROOT BUILD SUB PUB TMP; bench_redis starts a private redis-server on a
# free loopback port (sets PORT URL REDIS_PID) and the EXIT trap stops it by pid.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${RBUS_BUILD:-$ROOT/build}
SUB=$BUILD/tools/rbus-subscribe
PUB=$BUILD/tools/rbus-publish
[ -x "$SUB" ] && [ -x "$PUB" ] || { echo "no $SUB or $PUB: build first (scripts/build)" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rbus-bench.XXXXXX")
REDIS_PID=
bench_cleanup() {
    if [ -n "$REDIS_PID" ]; then kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null; fi
    rm -rf "$TMP"
}
trap bench_cleanup EXIT

# No pub/sub output-buffer limit: a consumer slower than the publisher is
# measured, not disconnected (the default 32mb/8mb limit would drop it).
bench_redis() {
    PORT=
    for _ in $(seq 100); do
        local p=$((20000 + RANDOM % 30000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { PORT=$p; break; }
    done
    [ -n "$PORT" ] || { echo "no free port" >&2; exit 1; }
    redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" \
        --logfile "$TMP/redis.log" --client-output-buffer-limit 'pubsub 0 0 0' &
    REDIS_PID=$!
    for _ in $(seq 200); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && return 0; sleep 0.05; done
    echo "redis-server did not start" >&2; exit 1
}

# bench_resp N TYPE OUT: N real envelopes (rbus-publish --dry-run) of TYPE in
# OUT.json, and the same as prebuilt RESP PUBLISH commands in OUT.resp.
bench_resp() {
    local n=$1 type=$2 out=$3
    seq "$n" | sed 's/.*/{"n":&,"agent_id":"RES-001","status":"ok","text":"benchmark event number &"}/' |
        "$PUB" --dry-run -w ws-bench "$type" --stdin > "$out.json" 2>/dev/null
    python3 - "raptorflow.events.$type" "$out.json" "$out.resp" <<'PY'
import sys
channel = sys.argv[1].encode()
with open(sys.argv[2], 'rb') as src, open(sys.argv[3], 'wb') as out:
    head = b'*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s\r\n' % (len(channel), channel)
    for line in src:
        body = line.rstrip(b'\n')
        out.write(head + b'$%d\r\n%s\r\n' % (len(body), body))
PY
}

# wait_numsub CHANNEL N: until the server counts N subscribers of CHANNEL.
wait_numsub() {
    for _ in $(seq 1000); do
        [ "$(redis-cli -p "$PORT" pubsub numsub "$1" | sed -n 2p)" = "$2" ] && return 0
        sleep 0.01
    done
    echo "consumer did not subscribe to $1" >&2; exit 1
}

wait_file() {
    for _ in $(seq 1000); do [ -e "$1" ] && return 0; sleep 0.01; done
    echo "no $1" >&2; exit 1
}

now() { date +%s.%N; }
load_avg() { cut -d' ' -f1-3 /proc/loadavg; }
