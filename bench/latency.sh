#!/usr/bin/env bash
# Case 5, publish -> subscriber stdout latency at RATE events/s (default 10,000):
# a paced publisher stamps each canonical envelope with its send time just
# before the PUBLISH is written; a reader takes the time each chunk is read from
# the consumer's stdout pipe (bench/latency.py). p50/p99/p99.9 from an HDR-style
# histogram (src/base/histogram.cc's buckets), first second not recorded.
# rbus-subscribe and redis-cli SUBSCRIBE in turn on one private redis-server.
# Usage: bench/latency.sh [SECONDS] [RATE]   (RBUS_BUILD selects the build)
source "$(dirname "$0")/consumer_lib.sh"
SECONDS_RUN=${1:-6}
RATE=${2:-10000}
bench_start bench.latency
echo "rate $RATE/s for ${SECONDS_RUN}s, first 1s not recorded; load average $(load_avg)"

measure() {  # measure NAME CMD...: prints the table row, sets P50 P99 P999
    local name=$1; shift
    local out
    out=$(python3 "$ROOT/bench/latency.py" measure "$PORT" "$CHANNEL" "$RATE" "$SECONDS_RUN" 1 -- "$@")
    read -r P50 P99 P999 MAX COUNT SENT LOST ACHIEVED <<< "$out"
    printf '%-22s %9s %9s %9s %9s %8s %6s %10s\n' "$name" "$P50" "$P99" "$P999" "$MAX" "$COUNT" "$LOST" "$ACHIEVED"
}
printf '%-22s %9s %9s %9s %9s %8s %6s %10s\n' consumer p50_us p99_us p99.9_us max_us recorded lost sent/s
measure rbus-subscribe "$SUB" -u "$URL" "$TYPE"
rbus_p99=$P99 rbus_lost=$LOST
measure "redis-cli SUBSCRIBE" redis-cli -p "$PORT" subscribe "$CHANNEL"
cli_p99=$P99
ratio=$(printf "%.2f" "$(echo "scale=4; $rbus_p99 / ($cli_p99 + ($cli_p99 == 0))" | bc)")
verdict=missed
[ "$rbus_p99" -le 1000 ] && [ "$rbus_lost" = 0 ] && verdict=met
echo "RESULT latency p99:${rbus_p99}us p99:${cli_p99}us $ratio p99<=1000us $verdict"
