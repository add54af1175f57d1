# Shared by every benchmark in bench/ (publish, subscribe, oneshot, rss,
# latency, sharded); sourced. Sets ROOT BUILD SUB PUB TMP. bench_start TYPE (or
# bench_redis alone) starts a private redis-server on a free loopback port,
# bench_cluster a private Redis Cluster; the EXIT trap (bench_cleanup) stops
# every server started here by pid and removes TMP.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${RBUS_BUILD:-$ROOT/build}
SUB=$BUILD/tools/rbus-subscribe
PUB=$BUILD/tools/rbus-publish
[ -x "$SUB" ] && [ -x "$PUB" ] || { echo "no $SUB or $PUB: build first (scripts/build)" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rbus-bench.XXXXXX")
export PYTHONDONTWRITEBYTECODE=1  # latency.py and rss.py import bench/benchlib.py: no __pycache__ in the tree
REDIS_PIDS=()
bench_cleanup() {
    local p
    for p in ${REDIS_PIDS[@]+"${REDIS_PIDS[@]}"}; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap bench_cleanup EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# free_port [OFFSET]: prints a loopback port nobody listens on (with OFFSET,
# port+OFFSET is free too: a cluster node's bus port).
free_port() {
    local p
    for _ in $(seq 100); do
        p=$((20000 + RANDOM % 30000))
        port_free "$p" && { [ -z "${1:-}" ] || port_free $((p + $1)); } && { echo "$p"; return 0; }
    done
    echo "no free port" >&2; return 1
}

# redis_up PORT DIR [ARGS...]: a redis-server on PORT (files in DIR), its pid
# kept for bench_cleanup (and in REDIS_PID); returns once it answers PING.
# Returns 1 when the server exited at start (PORT taken meanwhile: the caller
# tries another); one that runs but does not answer within 30 s ends the script.
redis_up() {
    local port=$1 dir=$2; shift 2
    mkdir -p "$dir"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
        --logfile "$dir/redis.log" "$@" &
    REDIS_PID=$!
    REDIS_PIDS+=("$REDIS_PID")
    for _ in $(seq 600); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
        kill -0 "$REDIS_PID" 2>/dev/null || {
            echo "redis-server on $port exited at start: $(grep -v '^ *$' "$dir/redis.log" | tail -1)" >&2; return 1; }
        sleep 0.05
    done
    echo "redis-server on $port did not answer within 30 s: $(tail -1 "$dir/redis.log")" >&2; exit 1
}
# redis_up_free DIR_BASE [OFFSET] [ARGS...]: redis_up on a free port (see
# free_port), a new one when the server could not take it; sets REDIS_PORT.
redis_up_free() {
    local base=$1 offset=$2; shift 2
    for _ in 1 2 3 4 5; do
        REDIS_PORT=$(free_port $offset)
        redis_up "$REDIS_PORT" "$base-$REDIS_PORT" "$@" && return 0
    done
    echo "no redis-server could start" >&2; exit 1
}

# bench_redis: one server (sets PORT URL REDIS_PID). No pub/sub output-buffer
# limit: a consumer slower than the publisher is measured, not disconnected
# (the default 32mb/8mb limit would drop it).
bench_redis() {
    redis_up_free "$TMP/server" "" --client-output-buffer-limit 'pubsub 0 0 0'
    PORT=$REDIS_PORT
    URL=redis://127.0.0.1:$PORT
}

# bench_start TYPE: events of TYPE (sets TYPE CHANNEL) on a new bench_redis.
bench_start() {
    TYPE=$1
    CHANNEL=raptorflow.events.$TYPE
    bench_redis
}

# bench_cluster [N]: a Redis Cluster of N masters (default 3, no replicas),
# slots spread by `redis-cli --cluster create`; returns once every node says
# cluster_state:ok. Sets CLUSTER_PORTS (array) and CLUSTER_URL (every node a seed).
bench_cluster() {
    local n=${1:-3} i port addrs=()
    CLUSTER_PORTS=()
    for i in $(seq "$n"); do
        redis_up_free "$TMP/node" 10000 --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000
        port=$REDIS_PORT
        CLUSTER_PORTS+=("$port"); addrs+=("127.0.0.1:$port")
    done
    redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes > "$TMP/cluster.log" 2>&1 ||
        { cat "$TMP/cluster.log" >&2; exit 1; }
    for port in "${CLUSTER_PORTS[@]}"; do
        for i in $(seq 400); do
            redis-cli -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' && break
            [ "$i" = 400 ] && { echo "cluster_state not ok on $port" >&2; exit 1; }
            sleep 0.05
        done
    done
    CLUSTER_URL=redis://$(IFS=,; echo "${addrs[*]}")
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
# started CPU_FILE: when bench/cputime.py started its command (epoch seconds),
# so that a time runs from the consumer's start, not from the wrapper's.
started() { awk '{ print $4 }' "$1"; }
load_avg() { cut -d' ' -f1-3 /proc/loadavg; }
