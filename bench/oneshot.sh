#!/usr/bin/env bash
# Case 3, one-shot publish: the wall time of one `rbus-publish TYPE JSON`
# process (start, connect, build the envelope, PUBLISH, print it, exit)
# against one `redis-cli PUBLISH CHANNEL ENVELOPE` of the same envelope, on one
# private redis-server, RUNS runs of each interleaved (default 31), median and
# p90 of each. Times from bash's $EPOCHREALTIME (no extra process).
# Usage: bench/oneshot.sh [RUNS]   (RBUS_BUILD selects the build)
source "$(dirname "$0")/consumer_lib.sh"
RUNS=${1:-31}
PAYLOAD='{"n":1,"agent_id":"RES-001","status":"ok","text":"benchmark event number 1"}'
bench_start bench.oneshot
export XDG_CONFIG_HOME=$TMP/config  # no user config file: the same work on every machine
ENVELOPE=$("$PUB" --dry-run -w ws-bench "$TYPE" "$PAYLOAD")
redis-cli -p "$PORT" subscribe "$CHANNEL" > /dev/null 2>&1 &
SUB_PID=$!
trap 'kill "$SUB_PID" 2>/dev/null; bench_cleanup' EXIT
wait_numsub "$CHANNEL" 1

: > "$TMP/rbus.us"
: > "$TMP/cli.us"
us_since() { echo "($EPOCHREALTIME - $1) * 1000000 / 1" | bc; }
for i in $(seq "$RUNS"); do
    t0=$EPOCHREALTIME
    "$PUB" -u "$URL" -w ws-bench "$TYPE" "$PAYLOAD" > /dev/null || { echo "rbus-publish failed" >&2; exit 1; }
    us_since "$t0" >> "$TMP/rbus.us"
    t0=$EPOCHREALTIME
    redis-cli -p "$PORT" PUBLISH "$CHANNEL" "$ENVELOPE" > /dev/null || { echo "redis-cli failed" >&2; exit 1; }
    us_since "$t0" >> "$TMP/cli.us"
done
pct() { sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { i = int((NR - 1) * p + 0.5) + 1; print v[i] }'; }
rbus_med=$(pct "$TMP/rbus.us" 0.5) cli_med=$(pct "$TMP/cli.us" 0.5)
ratio=$(printf '%.2f' "$(echo "scale=4; $rbus_med / $cli_med" | bc)")
echo "one-shot publish, $RUNS runs each interleaved, one subscriber attached; load average $(load_avg)"
printf '%-40s %10s %10s %10s\n' "process" median_us p90_us min_us
printf '%-40s %10s %10s %10s\n' "rbus-publish TYPE JSON" "$rbus_med" "$(pct "$TMP/rbus.us" 0.9)" "$(pct "$TMP/rbus.us" 0)"
printf '%-40s %10s %10s %10s\n' "redis-cli PUBLISH CHANNEL ENVELOPE" "$cli_med" "$(pct "$TMP/cli.us" 0.9)" "$(pct "$TMP/cli.us" 0)"
printf 'ratio of medians rbus / redis-cli: %s\n' "$ratio"
verdict=missed
[ "$(echo "$ratio <= 1.0" | bc)" = 1 ] && verdict=met
echo "RESULT oneshot ${rbus_med}us ${cli_med}us $ratio <=1.0x $verdict"
