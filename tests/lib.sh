# Shared helpers for the integration tests: a private redis-server per script
# on a free loopback port, background processes tracked by pid, assertions,
# and one PASS/FAIL line per case for scripts/test to count.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${RBUS_BUILD:-$ROOT/build}
BIN=$BUILD/tools
export PATH="$BIN:$PATH"
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/rbus-test.XXXXXX")
PIDFILE=$TEST_TMP/pids
: > "$PIDFILE"
# Tests must not inherit the caller's bus context.
unset REDIS_URL UPSTASH_REDIS_URL UPSTASH_REDIS_TOKEN RAPTORBUS_PASSWORD RAPTORBUS_CHANNEL_PREFIX \
      RAPTORBUS_WORKSPACE_ID RAPTORBUS_CORRELATION_ID RAPTORBUS_SOURCE_AGENT_ID RAPTORBUS_CONFIG \
      RAPTORBUS_LOG_LEVEL RAPTORBUS_FAIL_SOFT RAPTORBUS_METRICS RAPTORBUS_SHARDED RAPTORBUS_SENTINEL_PASSWORD \
      NO_COLOR CLICOLOR_FORCE
export XDG_CONFIG_HOME=$TEST_TMP/xdg

cleanup() {
    local p
    while read -r p; do kill "$p" 2>/dev/null; done < "$PIDFILE"
    while read -r p; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
    done < "$PIDFILE"
    rm -rf "$TEST_TMP"
}
trap cleanup EXIT

# Remembers a background pid so that it is stopped at exit whatever happens.
track() { echo "$1" >> "$PIDFILE"; }

# wait_until DEADLINE_SECONDS CMD... : polls CMD every 20ms until it succeeds.
wait_until() {
    local limit=$1; shift
    local end=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -ge "$end" ] && return 1
        sleep 0.02
    done
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port [LOW SPAN]: a free port in LOW..LOW+SPAN-1 (default 20000..32767,
# below the kernel's ephemeral range, so that no outgoing connection takes it
# between the check and the server's bind).
free_port() {
    local p low=${1:-20000} span=${2:-12768}
    for _ in $(seq 200); do
        p=$((low + RANDOM % span))
        port_free "$p" && { echo "$p"; return 0; }
    done
    return 1
}

# start_redis NAME [redis-server args...]: sets ${NAME}_PORT, ${NAME}_PID, ${NAME}_URL.
start_redis() {
    local name=$1; shift
    local port dir pid
    for _ in 1 2 3 4 5; do
        port=$(free_port) || return 1
        dir=$TEST_TMP/redis-$name-$port
        mkdir -p "$dir"
        redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
            --logfile "$dir/redis.log" "$@" &
        pid=$!
        track "$pid"
        # A server that needs a password answers PING with NOAUTH: its log says it is ready.
        if wait_until 10 redis-cli -p "$port" ping || grep -q "Ready to accept connections" "$dir/redis.log" 2>/dev/null; then
            printf -v "${name}_PORT" '%s' "$port"
            printf -v "${name}_PID" '%s' "$pid"
            printf -v "${name}_URL" '%s' "redis://127.0.0.1:$port"
            return 0
        fi
        kill "$pid" 2>/dev/null
    done
    echo "could not start redis-server" >&2
    return 1
}

# wait_log_ready LOGFILE PID [PATTERN]: true once the server logged PATTERN
# (default: that it is ready); false when it died or 10 s passed (for servers
# redis-cli -p cannot ping, and sentinels, whose sign of life is +monitor).
wait_log_ready() {
    local end=$((SECONDS + 10)) pattern=${3:-ready to accept connections}
    until grep -qiF -- "$pattern" "$1" 2>/dev/null; do
        kill -0 "$2" 2>/dev/null || return 1
        [ "$SECONDS" -ge "$end" ] && return 1
        sleep 0.02
    done
}

# start_redis_tls NAME CERT KEY CA [redis-server args...]: a TLS-only server
# (--port 0, --tls-port on a free port; clients need no certificate unless
# the args say --tls-auth-clients yes). Sets ${NAME}_PORT, ${NAME}_PID.
start_redis_tls() {
    local name=$1 cert=$2 key=$3 ca=$4; shift 4
    local port dir pid
    for _ in 1 2 3 4 5; do
        port=$(free_port) || return 1
        dir=$TEST_TMP/redis-$name-$port
        mkdir -p "$dir"
        redis-server --port 0 --tls-port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
            --logfile "$dir/redis.log" --tls-cert-file "$cert" --tls-key-file "$key" --tls-ca-cert-file "$ca" \
            --tls-auth-clients no "$@" &
        pid=$!
        track "$pid"
        if wait_log_ready "$dir/redis.log" "$pid"; then
            printf -v "${name}_PORT" '%s' "$port"
            printf -v "${name}_PID" '%s' "$pid"
            return 0
        fi
        kill "$pid" 2>/dev/null
    done
    echo "could not start a TLS redis-server" >&2
    return 1
}

# start_redis_unix NAME [redis-server args...]: a server on a Unix socket
# only (--port 0). Sets ${NAME}_SOCK, ${NAME}_PID.
start_redis_unix() {
    local name=$1; shift
    local dir=$TEST_TMP/redis-$name pid
    mkdir -p "$dir"
    redis-server --port 0 --unixsocket "$dir/redis.sock" --unixsocketperm 700 --save '' --appendonly no \
        --dir "$dir" --logfile "$dir/redis.log" "$@" &
    pid=$!
    track "$pid"
    wait_log_ready "$dir/redis.log" "$pid" || { echo "could not start a unix-socket redis-server" >&2; return 1; }
    printf -v "${name}_SOCK" '%s' "$dir/redis.sock"
    printf -v "${name}_PID" '%s' "$pid"
}

# start_redis_cluster NAME [N] [R]: a Redis Cluster of N masters (default 3)
# with R replicas each (default 0; then a 1 s node timeout, so that a failover
# comes quickly) on free loopback ports (port+10000 free too: the cluster bus),
# slots spread by `redis-cli --cluster create`; returns once every node says
# cluster_state:ok. Sets ${NAME}_PORTS ("p1 p2 p3 ...", masters first), ${NAME}_PIDS
# and ${NAME}_URL (every node as a seed: redis://127.0.0.1:p1,127.0.0.1:p2,...).
cluster_ok() { redis-cli -p "$1" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; }
start_redis_cluster() {
    local name=$1 n=${2:-3} replicas=${3:-0} i port dir pid ports=() pids=() addrs=() extra=()
    extra=(--cluster-node-timeout 5000)
    # Replicas: in sync at once (no diskless-sync delay), and allowed to take
    # over however long their link was down, within a 1 s node timeout.
    [ "$replicas" -gt 0 ] && extra=(--cluster-node-timeout 1000 --repl-diskless-sync-delay 0 --cluster-replica-validity-factor 0)
    for i in $(seq $((n * (1 + replicas)))); do
        pid=
        for _ in 1 2 3 4 5; do
            # Node and cluster bus ports (port+10000) both below the ephemeral range.
            for _ in $(seq 50); do
                port=$(free_port 10000 12000) || return 1
                port_free $((port + 10000)) && break
            done
            dir=$TEST_TMP/cluster-$name-$port
            mkdir -p "$dir"
            redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
                --logfile "$dir/redis.log" --cluster-enabled yes --cluster-config-file "$dir/nodes.conf" \
                "${extra[@]}" &
            pid=$!
            track "$pid"
            wait_until 10 redis-cli -p "$port" ping && break
            kill "$pid" 2>/dev/null; pid=
        done
        [ -n "$pid" ] || { echo "cluster node $i did not start: $(tail -3 "$dir/redis.log" 2>/dev/null)" >&2; return 1; }
        ports+=("$port"); pids+=("$pid"); addrs+=("127.0.0.1:$port")
    done
    redis-cli --cluster create "${addrs[@]}" --cluster-replicas "$replicas" --cluster-yes > "$TEST_TMP/cluster-$name.log" 2>&1 ||
        { cat "$TEST_TMP/cluster-$name.log" >&2; return 1; }
    for port in "${ports[@]}"; do
        wait_until 20 cluster_ok "$port" || { echo "cluster_state not ok on $port" >&2; return 1; }
    done
    printf -v "${name}_PORTS" '%s' "${ports[*]}"
    printf -v "${name}_PIDS" '%s' "${pids[*]}"
    local IFS=,
    printf -v "${name}_URL" '%s' "redis://${addrs[*]}"
}

# cluster_owner PORT KEY: the port of the master that serves KEY's hash slot
# (a channel's as well: the same hash), as the node on PORT sees the cluster:
# CLUSTER KEYSLOT, then the slot ranges of CLUSTER NODES (a slot being migrated
# is listed under its owner until the move ends). Sends nothing to the slot.
cluster_owner() {
    local slot
    slot=$(redis-cli -p "$1" cluster keyslot "$2") && [[ "$slot" =~ ^[0-9]+$ ]] || return 1
    redis-cli -p "$1" cluster nodes | awk -v slot="$slot" '
        $3 ~ /master/ {
            for (i = 9; i <= NF; i++) {
                if ($i ~ /^\[/) continue  # [slot->-id] / [slot-<-id]: a migration in progress
                n = split($i, range, "-")
                if (slot >= range[1] + 0 && slot <= range[n] + 0) {
                    split($2, addr, /[:@,]/)  # ip:port@cport[,hostname]
                    print addr[2]; found = 1; exit
                }
            }
        }
        END { exit !found }'
}

# restart_redis NAME: stops ${NAME}'s server and starts a new one on the same
# port (a server restart as clients see it); updates ${NAME}_PID.
restart_redis() {
    local name=$1 port pid old dir
    port=${name}_PORT; port=${!port}
    old=${name}_PID; old=${!old}
    stop_pid "$old"
    dir=$TEST_TMP/redis-$name-$port-restarted
    mkdir -p "$dir"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
        --logfile "$dir/redis.log" &
    pid=$!
    track "$pid"
    printf -v "${name}_PID" '%s' "$pid"
    wait_until 10 redis-cli -p "$port" ping
}

# start_sentinel NAME MASTER_NAME MASTER_PORT [CONF_LINE...]: a Redis Sentinel
# (redis-server CONF --sentinel) on a free port, monitoring 127.0.0.1:MASTER_PORT
# as MASTER_NAME with quorum 1, down-after 1s and failover-timeout 5s; extra
# lines go into its sentinel.conf (in the test's temp dir). Sets ${NAME}_PORT, ${NAME}_PID.
start_sentinel() {
    local name=$1 master=$2 mport=$3; shift 3
    local port dir pid line
    for _ in 1 2 3 4 5; do
        port=$(free_port) || return 1
        dir=$TEST_TMP/sentinel-$name-$port
        mkdir -p "$dir"
        {
            printf 'port %s\nbind 127.0.0.1\ndir %s\nlogfile %s/sentinel.log\n' "$port" "$dir" "$dir"
            printf 'sentinel monitor %s 127.0.0.1 %s 1\n' "$master" "$mport"
            printf 'sentinel down-after-milliseconds %s 1000\nsentinel failover-timeout %s 5000\n' "$master" "$master"
            for line in "$@"; do printf '%s\n' "$line"; done
        } > "$dir/sentinel.conf"
        redis-server "$dir/sentinel.conf" --sentinel &
        pid=$!
        track "$pid"
        # A sentinel logs no "ready" line: +monitor comes once it listens.
        if wait_log_ready "$dir/sentinel.log" "$pid" "+monitor master"; then
            printf -v "${name}_PORT" '%s' "$port"
            printf -v "${name}_PID" '%s' "$pid"
            return 0
        fi
        kill "$pid" 2>/dev/null
    done
    echo "could not start redis-sentinel" >&2
    return 1
}

stop_pid() {
    local pid=$1
    kill "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null
}

# paused_reader FIFO GO OUT: a reader that does not read yet: opens FIFO, and
# once the file GO exists copies all of it into OUT (run it in the background).
paused_reader() {
    # exec: the job's pid is the reader's, so that track ends it if the test dies.
    exec python3 - "$1" "$2" "$3" <<'PY'
import os, sys, time
fifo = os.open(sys.argv[1], os.O_RDONLY)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.01)
with open(sys.argv[3], "wb") as out:
    while chunk := os.read(fifo, 1 << 16):
        out.write(chunk)
PY
}

# Number of subscribers the server reports for CHANNEL.
numsub() { redis-cli -p "$1" pubsub numsub "$2" | sed -n 2p; }
# has_subscribers PORT CHANNEL N: true once CHANNEL has N subscribers (for wait_until).
has_subscribers() { [ "$(numsub "$1" "$2")" = "$3" ]; }
# has_patterns PORT N: true once the server counts N pattern subscriptions.
has_patterns() { [ "$(redis-cli -p "$1" pubsub numpat)" = "$2" ]; }
# lines_at_least FILE N: true once FILE holds N lines or more (for wait_until).
lines_at_least() { [ "$(grep -c '' "$1" 2>/dev/null)" -ge "$2" ]; }

# --- cases and assertions -------------------------------------------------

# case NAME FUNCTION: runs FUNCTION in a subshell; it passes when it exits 0.
case_() {
    local name=$1 fn=$2 out rc
    out=$TEST_TMP/case.err
    # Background jobs of a case end with it, whether it passed or not.
    ( set -u; trap 'kill $(jobs -p) 2>/dev/null' EXIT; "$fn" ) 2> "$out"
    rc=$?
    if [ "$rc" -eq 0 ]; then
        echo "PASS $name"
    else
        echo "FAIL $name: $(grep -a '^ASSERT' "$out" | tail -1 | cut -c8- || true) (exit $rc)"
        sed 's/^/    | /' "$out" | tail -15
    fi
}

die() { echo "ASSERT $*" >&2; exit 1; }

expect_eq() {  # expect_eq ACTUAL EXPECTED WHAT
    [ "$1" == "$2" ] || die "$3: expected [$2], got [$1]"
}
expect_match() {  # expect_match TEXT REGEX WHAT
    [[ "$1" =~ $2 ]] || die "$3: [$1] does not match /$2/"
}
expect_no() {  # expect_no TEXT SUBSTRING WHAT
    [[ "$1" != *"$2"* ]] || die "$3: found [$2] in [$1]"
}
expect_code() {  # expect_code ACTUAL EXPECTED WHAT
    [ "$1" -eq "$2" ] || die "$3: exit code $1, expected $2"
}
expect_lines() {  # expect_lines TEXT N WHAT
    local n
    n=$(printf '%s' "$1" | grep -c '' || true)
    [ "$n" -eq "$2" ] || die "$3: $n line(s), expected $2"
}

# Starts an rbus tool in the background with stdout/stderr to files;
# returns once --ready-file exists. Usage: bg_ready NAME tool args...
# Sets ${NAME}_PID; output in $TEST_TMP/NAME.out / .err
bg_ready() {
    local name=$1; shift
    local ready=$TEST_TMP/$name.ready
    rm -f "$ready"
    "$@" --ready-file "$ready" > "$TEST_TMP/$name.out" 2> "$TEST_TMP/$name.err" &
    local pid=$!
    track "$pid"
    printf -v "${name}_PID" '%s' "$pid"
    wait_until 10 test -e "$ready" || die "$name did not become ready: $(cat "$TEST_TMP/$name.err")"
}
