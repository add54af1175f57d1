#!/usr/bin/env bash
# Issue 15, a burst beyond the server's patience: N BusEvent messages (default
# 400,000, bench/shapes.py) pushed at once with redis-cli --pipe into a
# redis-server left at its DEFAULT client-output-buffer-limit for pub/sub
# (32mb hard, 8mb for 60s), while rbus-stats --json (one window of DUR seconds,
# default 20) and redis-cli SUBSCRIBE listen side by side. Prints what each got,
# how many clients the server closed for their buffer (from its log),
# rbus-stats' exit code and the loss it states (connection_drops, dropped_seconds,
# counts_are_lower_bounds). Target: rbus-stats reports (exit 0) with the loss
# stated whenever it counted fewer than N.
# Usage: bench/burst.sh [N] [DUR]   (RBUS_BUILD selects the build; default build/)
source "$(dirname "$0")/consumer_lib.sh"
N=${1:-400000}
DUR=${2:-20}
STATS=$BUILD/tools/rbus-stats
TYPE=bench.item
CHANNEL=raptorflow.events.$TYPE
PORT=$(free_port)
redis_up "$PORT" "$TMP"  # no --client-output-buffer-limit: Redis's default
URL=redis://127.0.0.1:$PORT
echo "client-output-buffer-limit: $(redis-cli -p "$PORT" config get client-output-buffer-limit | tail -1)"
python3 "$ROOT/bench/shapes.py" bus_event "$N" "$CHANNEL" "$TMP/burst"
echo "messages: $N BusEvent ($(stat -c %s "$TMP/burst.json") bytes); window ${DUR}s; load average $(load_avg)"

"$STATS" -u "$URL" --duration "${DUR}s" --json > "$TMP/stats.json" 2> "$TMP/stats.err" &
stats_job=$!
( timeout $((DUR + 30)) redis-cli -p "$PORT" subscribe "$CHANNEL" 2>/dev/null || true ) | wc -l > "$TMP/cli.lines" &
cli_job=$!
for _ in $(seq 1000); do
    [ "$(redis-cli -p "$PORT" pubsub numpat)" = 1 ] &&
        [ "$(redis-cli -p "$PORT" pubsub numsub "$CHANNEL" | sed -n 2p)" = 1 ] && break
    sleep 0.01
done
redis-cli -p "$PORT" --pipe < "$TMP/burst.resp" > /dev/null
wait "$stats_job"
stats_rc=$?
# redis-cli ends when the server drops it; if it was not dropped it is still subscribed.
redis-cli -p "$PORT" client kill type pubsub > /dev/null || true
wait "$cli_job" || true
cli_got=$(( ($(cat "$TMP/cli.lines") - 3) / 3 ))
[ "$cli_got" -lt 0 ] && cli_got=0
# Redis 7.0 has no counter for it; its log says each time.
kills=$(grep -c "overcoming of output buffer limits" "$TMP/redis.log" || true)
echo "server: $kills client(s) closed for overcoming the output buffer limit"
echo "redis-cli SUBSCRIBE: got $cli_got of $N"
echo "rbus-stats: exit $stats_rc; stderr: $(tr '\n' ' ' < "$TMP/stats.err")"
jq -c '{events: .traffic.events, connection_drops: .traffic.connection_drops,
        dropped_seconds: .traffic.dropped_seconds, counts_are_lower_bounds: .traffic.counts_are_lower_bounds}' \
    "$TMP/stats.json" 2>/dev/null || echo "rbus-stats: no JSON report"
counted=$(jq -r '.traffic.events // 0' "$TMP/stats.json" 2>/dev/null || echo 0)
lower=$(jq -r '.traffic.counts_are_lower_bounds // false' "$TMP/stats.json" 2>/dev/null || echo false)
verdict=missed
if [ "$stats_rc" = 0 ] && { [ "$counted" = "$N" ] || [ "$lower" = true ]; }; then verdict=met; fi
echo "RESULT burst ${counted}counted ${cli_got}cli - reports,loss-stated $verdict"
