#!/usr/bin/env bash
# Issue 8, sharded publish throughput: `rbus-publish --sharded --envelopes FILE`
# (N envelopes of TYPES event types, so that the channels fall in slots of
# every master; one pipelined SPUBLISH stream per owning master) against a
# private 3-master Redis Cluster (no replicas), beside the same command against
# one private standalone redis-server, and plain PUBLISH (no --sharded) on that
# server, in the same run. No subscribers: this is the publisher's and the
# servers' side only. Delivery is checked on the servers: after each timed
# publish the `calls` of cmdstat_spublish (or cmdstat_publish) summed over the
# nodes (INFO commandstats, reset before each publish) must equal N.
# RUNS rounds (default 3), the order rotating; each configuration's best round
# is its figure (the least disturbed on a shared machine), and the result is
# 3-node / 1-node sharded. Target >1.0x is informational: the client and all
# servers share the machine's cores, so on 2 cores a 3-node cluster has no
# spare CPU to gain from.
# Usage: bench/sharded.sh [N] [TYPES]   (RBUS_BUILD selects the build; RUNS=3)
source "$(dirname "$0")/consumer_lib.sh"
N=${1:-200000}
TYPES=${2:-1024}
RUNS=${RUNS:-3}
bench_redis
bench_cluster 3

# Real envelopes (rbus-publish --dry-run, -w ws-bench) of bench.item, then the
# type rewritten round robin to bench.t0 .. bench.t<TYPES-1> (still canonical
# rbus envelopes: checked by a --dry-run of the file).
seq "$N" | sed 's/.*/{"n":&,"agent_id":"RES-001","status":"ok","text":"benchmark event number &"}/' |
    "$PUB" --dry-run -w ws-bench bench.item --stdin 2>/dev/null |
    awk -v t="$TYPES" '{ sub(/"type":"bench\.item"/, "\"type\":\"bench.t" ((NR - 1) % t) "\""); print }' \
    > "$TMP/env.json"
valid=$("$PUB" --dry-run --envelopes "$TMP/env.json" 2>/dev/null | wc -l)
[ "$valid" = "$N" ] || { echo "only $valid of $N generated envelopes are valid" >&2; exit 1; }
bytes=$(wc -c < "$TMP/env.json")

# server_cpu PORT...: CPU seconds (user + sys) the servers have used so far.
server_cpu() {
    local port
    for port in "$@"; do redis-cli -p "$port" info cpu; done |
        tr -d '\r' | awk -F: '/^used_cpu_(user|sys):/ { t += $2 } END { printf "%.3f\n", t }'
}
# run_case sharded|plain URL PORT...: times one publish of the file (sets
# TIME, and CLIENT_CPU / SERVER_CPU: CPU seconds of rbus-publish / of the
# servers, summed, during it), then checks that the nodes counted N calls of SPUBLISH (or PUBLISH)
# between them (sets SPREAD: "port:calls" of each node).
run_case() {
    local mode=$1 url=$2 port cmd=spublish flag=(--sharded) n sum=0; shift 2
    [ "$mode" = sharded ] || { cmd=publish; flag=(); }
    for port in "$@"; do redis-cli -p "$port" config resetstat > /dev/null; done
    local srv0; srv0=$(server_cpu "$@")
    local t0=$EPOCHREALTIME
    /usr/bin/time -f '%U %S' -o "$TMP/cpu" "$PUB" -q -u "$url" "${flag[@]}" --envelopes "$TMP/env.json" ||
        { echo "rbus-publish ${flag[*]} failed (exit $?)" >&2; exit 1; }
    TIME=$(echo "$EPOCHREALTIME - $t0" | bc)
    CLIENT_CPU=$(awk '{ printf "%.2f", $1 + $2 }' "$TMP/cpu")
    SERVER_CPU=$(printf '%.2f' "$(echo "$(server_cpu "$@") - $srv0" | bc)")
    SPREAD=
    for port in "$@"; do
        n=$(redis-cli -p "$port" info commandstats | tr -d '\r' | sed -n "s/^cmdstat_$cmd:calls=\([0-9]*\),.*/\1/p")
        sum=$((sum + ${n:-0})) SPREAD+=" $port:${n:-0}"
    done
    [ "$sum" = "$N" ] || { echo "$mode on $url: the servers counted $sum ${cmd^^} of $N:$SPREAD" >&2; exit 1; }
}
run_cluster() { run_case sharded "$CLUSTER_URL" "${CLUSTER_PORTS[@]}"; cluster_time=$TIME spread=$SPREAD cluster_cpu="$CLIENT_CPU $SERVER_CPU"; }
run_single() { run_case sharded "$URL" "$PORT"; single_time=$TIME single_cpu="$CLIENT_CPU $SERVER_CPU"; }
run_plain() { run_case plain "$URL" "$PORT"; plain_time=$TIME plain_cpu="$CLIENT_CPU $SERVER_CPU"; }

echo "sharded publish of $N envelopes of $TYPES event types ($((bytes / N)) bytes each on average), no subscribers;" \
     "redis-server $(redis-server --version | awk '{print $3}' | cut -d= -f2); load average $(load_avg)"
printf '%-4s %-30s %10s %7s %11s %11s\n' run publisher events/s time client_cpu servers_cpu
best_cluster=0 best_single=0 best_plain=0
for run in $(seq "$RUNS"); do
    case $((run % 3)) in
        1) run_cluster; run_single; run_plain ;;
        2) run_single; run_plain; run_cluster ;;
        0) run_plain; run_cluster; run_single ;;
    esac
    cluster_rate=$(echo "$N / $cluster_time" | bc)
    single_rate=$(echo "$N / $single_time" | bc)
    plain_rate=$(echo "$N / $plain_time" | bc)
    printf '%-4s %-30s %10s %6.2fs %10ss %10ss\n' "$run" "--sharded, 3-master cluster" "$cluster_rate" "$cluster_time" $cluster_cpu
    printf '%-4s %-30s %10s %6.2fs %10ss %10ss\n' "$run" "--sharded, 1 node" "$single_rate" "$single_time" $single_cpu
    printf '%-4s %-30s %10s %6.2fs %10ss %10ss\n' "$run" "plain PUBLISH, 1 node" "$plain_rate" "$plain_time" $plain_cpu
    printf '%-4s ratio 3-node/1-node %s\n' "$run" "$(printf '%.2f' "$(echo "scale=4; $cluster_rate / $single_rate" | bc)")"
    [ "$cluster_rate" -gt "$best_cluster" ] && best_cluster=$cluster_rate
    [ "$single_rate" -gt "$best_single" ] && best_single=$single_rate
    [ "$plain_rate" -gt "$best_plain" ] && best_plain=$plain_rate
    [ "$run" != 1 ] || echo "SPUBLISH calls per master (port:calls):$spread"
done
ratio=$(printf '%.2f' "$(echo "scale=4; $best_cluster / $best_single" | bc)")
verdict=missed
[ "$(echo "$ratio > 1.0" | bc)" = 1 ] && verdict=met
printf 'best of %d: 3-node %s events/s, 1-node %s events/s (plain PUBLISH %s events/s); ratio %s; load average %s\n' \
    "$RUNS" "$best_cluster" "$best_single" "$best_plain" "$ratio" "$(load_avg)"
echo "RESULT sharded ${best_cluster}ev/s ${best_single}ev/s $ratio >1.0x $verdict"
