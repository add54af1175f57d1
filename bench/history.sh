#!/usr/bin/env bash
# Issue 19's three targets, each side by side with its peer on one private
# redis-server in the same run, RUNS rounds (default 5), medians with min-max:
#  replay  N events (default 200,000) recorded by `rbus-subscribe --mirror`
#          into one stream, read back by `rbus-subscribe --since 0 --until now`
#          (piped JSON lines), against rbus-subscribe's live rate on the same
#          events pushed as prebuilt RESP by `redis-cli --pipe` (as
#          bench/subscribe.sh): history must never be slower than live. Beside
#          it (row since-msgkeys), the same events recorded by `rbus-publish
#          --history`, which also writes RaptorBus's msg: key of each: the
#          replay then SCANs those too.
#  group   the same stream through a consumer group: `rbus-subscribe --group
#          --since 0 --count N` (print + XACK) against a batched redis-py loop
#          (XREADGROUP COUNT 100, json.loads of each envelope, pipelined XACK),
#          each on a new group; both must see every event once.
#  mirror  `rbus-subscribe --mirror` recording M events (default 100,000)
#          published at full speed by `rbus-publish --stdin`: the share of
#          them in the stream.
# Times run from the start of the consumer (live: from the first push; rbus
# from when bench/cputime.py started it, not counting that wrapper's own
# start; the redis-py loop from its interpreter's start) until
# a reader of its stdout has every line (for the replay also the server's time
# in SCAN and XRANGE, from INFO commandstats); CPU time (user + sys) of the rbus
# process from its rusage (bench/cputime.py), of the redis-py loop from its
# own. Ends with three RESULT lines (bench/run takes each).
# Usage: bench/history.sh [N] [M] [RUNS]   (RBUS_BUILD selects the build; default build/)
source "$(dirname "$0")/consumer_lib.sh"
N=${1:-200000}
M=${2:-100000}
RUNS=${3:-5}
CPU="python3 $ROOT/bench/cputime.py"
PY=/usr/bin/python3  # Debian's python3-redis lives there, whatever python3 is first on PATH
"$PY" -c 'import redis' 2>/dev/null || { echo "bench/history.sh: needs python3-redis (scripts/deps)" >&2; exit 1; }
bench_start bench.history
STREAM="rbus:history:{$CHANNEL}"
bench_resp "$N" "$TYPE" "$TMP/env"
# The target's history: one stream, recorded by a mirror from the live bus.
rm -f "$TMP/ready"
"$SUB" -u "$URL" "$TYPE" --mirror --ready-file "$TMP/ready" 2> "$TMP/record.err" &
recorder=$!
wait_file "$TMP/ready"
redis-cli -p "$PORT" --pipe < "$TMP/env.resp" > /dev/null
for _ in $(seq 6000); do [ "$(redis-cli -p "$PORT" xlen "$STREAM")" = "$N" ] && break; sleep 0.01; done
kill -TERM "$recorder"; wait "$recorder" || true
recorded=$(redis-cli -p "$PORT" xlen "$STREAM")
[ "$recorded" = "$N" ] || { echo "the mirror recorded $recorded of $N events into $STREAM" >&2; exit 1; }
# The same events recorded by rbus-publish --history on another type: a stream
# and RaptorBus's msg: key for each, both read by a replay (reported beside).
# Each recording in a database of its own (the mirror rounds' in a third),
# since a replay's SCAN for msg: keys walks the whole database: the target's
# replay walks its own stream's seen marks, not the other rows' keys.
HTYPE=$TYPE.published
HURL=$URL/1
sed "s/\"type\":\"$TYPE\"/\"type\":\"$HTYPE\"/" "$TMP/env.json" > "$TMP/henv.json"
"$PUB" -u "$HURL" --history --envelopes "$TMP/henv.json" > /dev/null 2> "$TMP/record.err" ||
    { cat "$TMP/record.err" >&2; exit 1; }
echo "events: $N recorded by rbus-subscribe --mirror into $STREAM ($(redis-cli -p "$PORT" dbsize) keys in its" \
     "database), and as $HTYPE by rbus-publish --history (stream + msg: keys; $(redis-cli -p "$PORT" -n 1 dbsize) keys" \
     "in database 1); $(wc -c < "$TMP/env.json") bytes of JSON; load average $(load_avg)"

reader() {  # reader WANT END_FILE: counts lines until WANT, then the time
    head -n "$1" | wc -l
    now > "$2"
}
secs() { echo "$(cat "$1" 2>/dev/null || now) - $2" | bc; }
cpu_us() { awk -v n="$2" '{ printf "%.3f", ($1 + $2) * 1e6 / n }' "$1"; }

RESULTS=$TMP/results  # lines: case consumer rate cpu_us_per_msg got
: > "$RESULTS"

# server_ms CMD...: the server's time (ms) in those commands since the last CONFIG RESETSTAT.
server_ms() {
    redis-cli -p "$PORT" info commandstats | tr -d '\r' | awk -F'[:,=]' -v want=" $* " '
        { name = substr($1, 9) } index(want, " " name " ") { us += $5 } END { printf "%.0f", us / 1000 }'
}
SERVER=$TMP/server  # lines: replay-server wall_ms scan_ms xrange_ms
: > "$SERVER"

replay_round() {
    rm -f "$TMP/end"
    redis-cli -p "$PORT" config resetstat > /dev/null
    local until; until=$(date -u +%FT%T.%6NZ)
    $CPU "$TMP/cpu" "$SUB" -u "$URL" "$TYPE" --since 0 --until "$until" --timeout 300s \
        2> "$TMP/replay.err" | reader "$N" "$TMP/end" > "$TMP/lines" || true
    local t got; t=$(secs "$TMP/end" "$(started "$TMP/cpu")"); got=$(cat "$TMP/lines")
    echo "replay rbus-subscribe-since $(echo "$got / $t" | bc) $(cpu_us "$TMP/cpu" "$got") $got" >> "$RESULTS"
    # Where the replay's time goes on the server: SCAN for RaptorBus's msg: keys
    # walks the whole keyspace (every seen mark and msg: key of every channel).
    echo "$(echo "$t * 1000 / 1" | bc) $(server_ms scan) $(server_ms xrange xlen)" >> "$SERVER"

    rm -f "$TMP/end"
    until=$(date -u +%FT%T.%6NZ)
    $CPU "$TMP/cpu" "$SUB" -u "$HURL" "$HTYPE" --since 0 --until "$until" --timeout 300s \
        2> "$TMP/replay.err" | reader "$N" "$TMP/end" > "$TMP/lines" || true
    t=$(secs "$TMP/end" "$(started "$TMP/cpu")"); got=$(cat "$TMP/lines")
    echo "replay rbus-subscribe-since-msgkeys $(echo "$got / $t" | bc) $(cpu_us "$TMP/cpu" "$got") $got" >> "$RESULTS"

    rm -f "$TMP/ready" "$TMP/end"
    $CPU "$TMP/cpu" "$SUB" -u "$URL" "$TYPE" --count "$N" --timeout 300s --ready-file "$TMP/ready" \
        2> "$TMP/live.err" | reader "$N" "$TMP/end" > "$TMP/lines" &
    local job=$!
    wait_file "$TMP/ready"
    local start; start=$(now)
    redis-cli -p "$PORT" --pipe < "$TMP/env.resp" > /dev/null
    wait "$job" || true
    t=$(secs "$TMP/end" "$start"); got=$(cat "$TMP/lines")
    echo "replay rbus-subscribe-live $(echo "$got / $t" | bc) $(cpu_us "$TMP/cpu" "$got") $got" >> "$RESULTS"
}

group_round() {
    local round=$1 start t got
    rm -f "$TMP/end"
    $CPU "$TMP/cpu" "$SUB" -u "$URL" "$TYPE" --group "rbus-$round" --consumer c1 --since 0 --count "$N" \
        --timeout 300s 2> "$TMP/group.err" | reader "$N" "$TMP/end" > "$TMP/lines" || true
    t=$(secs "$TMP/end" "$(started "$TMP/cpu")"); got=$(cat "$TMP/lines")
    local pending; pending=$(redis-cli -p "$PORT" xpending "$STREAM" "rbus-$round" | head -1)
    [ "$pending" = 0 ] || echo "rbus-subscribe --group left $pending pending" >&2
    echo "group rbus-subscribe-group $(echo "$got / $t" | bc) $(cpu_us "$TMP/cpu" "$got") $got" >> "$RESULTS"

    redis-cli -p "$PORT" xgroup create "$STREAM" "py-$round" 0 > /dev/null
    start=$(now)
    read -r got cpu < <("$PY" - "$PORT" "$STREAM" "py-$round" "$N" <<'PY'
import json, os, sys, redis
port, stream, group, want = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
r = redis.Redis(port=port)
seen = set()
while len(seen) < want:
    batch = r.xreadgroup(group, 'c1', {stream: '>'}, count=100, block=5000)
    if not batch:
        break
    ids = []
    for entry_id, fields in batch[0][1]:
        event = json.loads(fields[b'envelope'])
        seen.add(event['id'])
        ids.append(entry_id)
    p = r.pipeline(transaction=False)
    p.xack(stream, group, *ids)
    p.execute()
t = os.times()
print(len(seen), (t.user + t.system) * 1e6 / max(len(seen), 1))
PY
)
    t=$(echo "$(now) - $start" | bc)
    echo "group redis-py-xreadgroup $(echo "$got / $t" | bc) $(printf '%.3f' "$cpu") $got" >> "$RESULTS"
}

mirror_round() {
    local round=$1 prefix="mirror$1"
    local key="$prefix:history:{$CHANNEL}"
    rm -f "$TMP/ready"
    "$SUB" -u "$URL/2" "$TYPE" --mirror --history-key-prefix "$prefix" --ready-file "$TMP/ready" 2> "$TMP/mirror.err" &
    local job=$!
    wait_file "$TMP/ready"
    seq "$M" | sed 's/.*/{"n":&,"agent_id":"RES-001","status":"ok"}/' |
        "$PUB" -u "$URL" "$TYPE" --stdin > /dev/null 2> "$TMP/pub.err"
    local len last=-1 same=0  # until every event is in, or the length stood still for 5 s
    for _ in $(seq 3000); do
        len=$(redis-cli -p "$PORT" -n 2 xlen "$key")
        [ "$len" = "$M" ] && break
        if [ "$len" = "$last" ]; then same=$((same + 1)); [ "$same" -ge 500 ] && break; else same=0; fi
        last=$len
        sleep 0.01
    done
    kill -TERM "$job"; wait "$job" || true
    echo "mirror rbus-subscribe-mirror $len - $len" >> "$RESULTS"
    redis-cli -p "$PORT" -n 2 flushdb > /dev/null  # its stream and seen marks
}

for round in $(seq "$RUNS"); do
    replay_round
    group_round "$round"
    mirror_round "$round"
    echo "round $round done; load average $(load_avg)"
done

# median CASE CONSUMER COLUMN: "median (min-max)" of that column over the rounds
median() {
    awk -v c="$1" -v k="$2" -v col="$3" '$1 == c && $2 == k { print $col }' "$RESULTS" | sort -g |
        awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%s (%s-%s)", m, v[1], v[NR] }'
}
med() { median "$@" | cut -d' ' -f1; }
printf '%-8s %-26s %22s %22s %s\n' case consumer 'msg/s median (min-max)' 'CPU us/msg' 'received (min-max)'
for row in "replay rbus-subscribe-since" "replay rbus-subscribe-since-msgkeys" "replay rbus-subscribe-live" "group rbus-subscribe-group" \
           "group redis-py-xreadgroup"; do
    set -- $row
    printf '%-8s %-26s %22s %22s %s\n' "$1" "$2" "$(median "$1" "$2" 3)" "$(median "$1" "$2" 4)" "$(median "$1" "$2" 5)"
done
col_median() { awk -v c="$1" '{ print $c }' "$SERVER" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "replay rbus-subscribe-since, server time (median of $RUNS rounds): the replay took $(col_median 1) ms;" \
     "SCAN for msg: keys $(col_median 2) ms, XRANGE/XLEN $(col_median 3) ms of it"
printf '%-8s %-26s %s of %s recorded, median (min-max)\n' mirror rbus-subscribe-mirror "$(median mirror rbus-subscribe-mirror 3)" "$M"

verdict() { [ "$(echo "$1 >= $2" | bc)" = 1 ] && [ "$3" = 1 ] && echo met || echo missed; }
all_got() { awk -v c="$1" -v k="$2" -v n="$3" '$1 == c && $2 == k && $5 != n { bad = 1 } END { print bad ? 0 : 1 }' "$RESULTS"; }
r_since=$(med replay rbus-subscribe-since 3); r_live=$(med replay rbus-subscribe-live 3)
ratio=$(printf '%.2f' "$(echo "scale=4; $r_since / $r_live" | bc)")
echo "RESULT replay ${r_since}msg/s ${r_live}msg/s $ratio >=1.0x $(verdict "$ratio" 1.0 "$(all_got replay rbus-subscribe-since "$N")")"
g_rbus=$(med group rbus-subscribe-group 3); g_py=$(med group redis-py-xreadgroup 3)
ratio=$(printf '%.2f' "$(echo "scale=4; $g_rbus / $g_py" | bc)")
ok=$(( $(all_got group rbus-subscribe-group "$N") & $(all_got group redis-py-xreadgroup "$N") ))
echo "RESULT group ${g_rbus}msg/s ${g_py}msg/s $ratio >=3.0x $(verdict "$ratio" 3.0 "$ok")"
m_min=$(median mirror rbus-subscribe-mirror 3 | sed 's/.*(\([0-9]*\)-.*/\1/')
share=$(printf '%.4f' "$(echo "scale=6; $m_min / $M" | bc)")
echo "RESULT mirror ${m_min}ev ${M}ev $share =1.0 $(verdict "$share" 1.0 1)"
