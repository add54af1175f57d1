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
      RAPTORBUS_LOG_LEVEL RAPTORBUS_FAIL_SOFT RAPTORBUS_METRICS RAPTORBUS_SHARDED NO_COLOR CLICOLOR_FORCE
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

free_port() {
    local p
    for _ in $(seq 200); do
        p=$((20000 + RANDOM % 30000))
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
        if wait_until 10 redis-cli -p "$port" ping; then
            printf -v "${name}_PORT" '%s' "$port"
            printf -v "${name}_PID" '%s' "$pid"
            printf -v "${name}_URL" '%s' "redis://127.0.0.1:$port"
            return 0
        fi
        # A server that needs a password still answers (NOAUTH): check the log instead.
        if grep -q "Ready to accept connections" "$dir/redis.log" 2>/dev/null; then
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

# wait_log_ready LOGFILE PID: true once redis-server logged that it is ready;
# false when it died or 10 s passed (for servers redis-cli -p cannot ping).
wait_log_ready() {
    local end=$((SECONDS + 10))
    until grep -qi "ready to accept connections" "$1" 2>/dev/null; do
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

stop_pid() {
    local pid=$1
    kill "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null
}

# Number of subscribers the server reports for CHANNEL.
numsub() { redis-cli -p "$1" pubsub numsub "$2" | sed -n 2p; }
# has_subscribers PORT CHANNEL N: true once CHANNEL has N subscribers (for wait_until).
has_subscribers() { [ "$(numsub "$1" "$2")" = "$3" ]; }
# has_patterns PORT N: true once the server counts N pattern subscriptions.
has_patterns() { [ "$(redis-cli -p "$1" pubsub numpat)" = "$2" ]; }

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
