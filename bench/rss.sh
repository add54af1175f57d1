#!/usr/bin/env bash
# Case 4, memory: peak RSS (VmHWM) of rbus-subscribe after 100,000 and after
# 1,000,000 events (default), beside redis-cli SUBSCRIBE on the same stream:
# 100,000 real envelopes pushed TOTAL/100,000 times by redis-cli --pipe.
# The reader (bench/rss.py) counts the consumer's lines and samples
# /proc/PID/status when it has seen each mark. Target: <= 16 MiB and flat
# (peak at 1M no more than 1 MiB above the peak at 100k).
# Usage: bench/rss.sh [TOTAL]   (RBUS_BUILD selects the build)
source "$(dirname "$0")/consumer_lib.sh"
TOTAL=${1:-1000000}
CHUNK=100000
[ "$TOTAL" -ge "$CHUNK" ] || CHUNK=$TOTAL
bench_start bench.item
bench_resp "$CHUNK" "$TYPE" "$TMP/env"
PUSH="for i in \$(seq $((TOTAL / CHUNK))); do redis-cli -p $PORT --pipe < $TMP/env.resp > /dev/null; done"
echo "events: $TOTAL (100,000 envelopes pushed $((TOTAL / CHUNK)) times); load average $(load_avg)"

measure() {  # measure NAME LINES_PER_EVENT CMD...: sets KIB_FIRST KIB_LAST LOST
    local name=$1 per=$2; shift 2
    read -r KIB_FIRST KIB_LAST GOT < <(python3 "$ROOT/bench/rss.py" "$PORT" "$CHANNEL" "$per" "$CHUNK" "$TOTAL" \
        "$PUSH" -- "$@")
    LOST=$((TOTAL - GOT))
    printf '%-22s %12s %12s %8s\n' "$name" "$KIB_FIRST" "$KIB_LAST" "$LOST"
}
printf '%-22s %12s %12s %8s\n' consumer "KiB@$CHUNK" "KiB@$TOTAL" lost
measure rbus-subscribe 1 "$SUB" -u "$URL" "$TYPE"
rbus_first=$KIB_FIRST rbus_last=$KIB_LAST rbus_lost=$LOST
measure "redis-cli SUBSCRIBE" 3 redis-cli -p "$PORT" subscribe "$CHANNEL"
cli_last=$KIB_LAST
mib() { echo "scale=1; $1 / 1024" | bc; }
ratio=$(printf "%.2f" "$(echo "scale=4; $rbus_last / $cli_last" | bc)")
verdict=missed
[ "$rbus_last" -le $((16 * 1024)) ] && [ $((rbus_last - rbus_first)) -le 1024 ] && [ "$rbus_lost" = 0 ] && verdict=met
echo "rbus-subscribe: $(mib "$rbus_first") MiB at $CHUNK events, $(mib "$rbus_last") MiB at $TOTAL"
echo "RESULT rss $(mib "$rbus_last")MiB $(mib "$cli_last")MiB $ratio <=16MiB,flat $verdict"
