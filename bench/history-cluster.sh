#!/usr/bin/env bash
# Issue 19's history on a Redis Cluster: a private 3-master cluster (no
# replicas) beside one private redis-server, in the same run. TYPES event types
# (default 6, bench.c*) chosen so that their streams rbus:history:{CHANNEL}
# fall two on each master (CLUSTER KEYSLOT against each master's slot ranges).
#  mirror  `rbus-subscribe --mirror` (every type) recording events published
#          at full speed by one `rbus-publish TYPE --stdin` per type, all at
#          once: the share recorded. First N events (the streams the next cases
#          read), then, after the rounds, RUNS times M under another
#          --history-key-prefix. The same on the single server.
#  replay  `rbus-subscribe TYPE... --since 0 --until now` of the N events (and
#          the pattern 'bench.c*', found by SCAN on every master), on the
#          cluster and on the single server: events/s, CPU us per event.
#  group   `rbus-subscribe TYPE... --group G --since 0 --count WANT` (print +
#          XACK), a new group each round, against a batched redis-py loop
#          (XREADGROUP COUNT 100 of each stream, json.loads of each envelope,
#          XACK), each on both topologies, over two selections: group-3s, one
#          stream on each master (N/2 events), and group-6s, all six, two on
#          each master (N events). redis-py's RedisCluster asks the server
#          COMMAND GETKEYS before every XREADGROUP (a movable-keys command), so
#          the loop uses a plain client per master and pipelines one
#          XREADGROUP per stream (keys of different slots may not share one
#          command) to each master, then the XACKs: the cheapest way redis-py
#          has. The cl-group RESULT is group-6s when rbus read it, else
#          group-3s (and then missed: a case failed).
# Every consumer must print (or see) each published event id exactly once:
# checked against the ids rbus-publish printed, and no entry left pending.
# CPU (user + sys) of the rbus process from its rusage (bench/cputime.py), of
# the redis-py loop from its own times; wall time from start to exit (rbus:
# from when bench/cputime.py started it, not counting the wrapper). Ends
# with RESULT lines for bench/run (cl-mirror, cl-replay, cl-group).
# Usage: bench/history-cluster.sh [N] [M] [RUNS]   (defaults 180000 90000 3;
#        TYPES=6, a multiple of 3; RBUS_BUILD selects the build, default build/)
source "$(dirname "$0")/consumer_lib.sh"
N=${1:-180000}
M=${2:-90000}
RUNS=${3:-3}
K=${TYPES:-6}
[ $((K % 3)) = 0 ] && [ $((N % K)) = 0 ] && [ $((M % K)) = 0 ] ||
    { echo "bench/history-cluster.sh: TYPES must be a multiple of 3 dividing N and M" >&2; exit 2; }
CPU="python3 $ROOT/bench/cputime.py"
PY=/usr/bin/python3  # Debian's python3-redis lives there, whatever python3 is first on PATH
"$PY" -c 'import redis' 2>/dev/null || { echo "bench/history-cluster.sh: needs python3-redis (scripts/deps)" >&2; exit 1; }
bench_redis
bench_cluster 3
# As bench_redis: a subscriber slower than the publishers is measured, not dropped.
for p in "${CLUSTER_PORTS[@]}"; do redis-cli -p "$p" config set client-output-buffer-limit 'pubsub 0 0 0' > /dev/null; done
started=$EPOCHREALTIME

# owner SLOT: the port of the master serving SLOT.
owner() {
    redis-cli -p "${CLUSTER_PORTS[0]}" cluster nodes | awk -v s="$1" '$3 ~ /master/ {
        for (i = 9; i <= NF; i++) { n = split($i, r, "-"); lo = r[1]; hi = (n > 1) ? r[2] : r[1]
            if (s >= lo && s <= hi) { split($2, a, "[:@]"); print a[2]; exit } } }'
}
# Types bench.c<i>, taken in order while their master still needs some.
TYPE_LIST=() OWNER=() SLOTS=()
declare -A per_master=()
for i in $(seq 0 999); do
    t=bench.c$i
    slot=$(redis-cli -p "${CLUSTER_PORTS[0]}" cluster keyslot "rbus:history:{raptorflow.events.$t}")
    p=$(owner "$slot")
    [ "${per_master[$p]:-0}" -lt $((K / 3)) ] || continue
    per_master[$p]=$(( ${per_master[$p]:-0} + 1 ))
    TYPE_LIST+=("$t") OWNER+=("$p") SLOTS+=("$slot")
    [ ${#TYPE_LIST[@]} = "$K" ] && break
done
[ ${#TYPE_LIST[@]} = "$K" ] || { echo "could not spread $K types over the masters" >&2; exit 1; }
stream() { echo "$1:history:{raptorflow.events.${TYPE_LIST[$2]}}"; }  # stream PREFIX INDEX

# port_of TOPO INDEX: the node holding that type's stream.
port_of() { if [ "$1" = cluster ]; then echo "${OWNER[$2]}"; else echo "$PORT"; fi; }
url_of() { if [ "$1" = cluster ]; then echo "$CLUSTER_URL"; else echo "$URL"; fi; }
# stored TOPO PREFIX: entries in the TYPES streams, summed.
stored() {
    local i sum=0 n
    for i in "${!TYPE_LIST[@]}"; do
        n=$(redis-cli -p "$(port_of "$1" "$i")" xlen "$(stream "$2" "$i")"); sum=$((sum + n))
    done
    echo "$sum"
}

# record TOPO PREFIX PER_TYPE IDS_OUT: a mirror of every type, then one
# `rbus-publish TYPE --stdin` of PER_TYPE events per type, all at once; waits
# until every event is stored (or the count stood still for 5 s). Sets REC
# (events stored), REC_RATE (events/s from the publishers' start to the last
# stored), REC_CPU (the mirror's CPU us per event), REC_LOG (its last line);
# the ids published of each type in IDS_OUT.<index> when IDS_OUT is given.
record() {
    local topo=$1 prefix=$2 per=$3 ids_out=$4 url i total=$(($3 * K)) pids=()
    url=$(url_of "$topo")
    rm -f "$TMP/ready"
    $CPU "$TMP/mcpu" "$SUB" -v -u "$url" "${TYPE_LIST[@]}" --mirror --history-key-prefix "$prefix" \
        --ready-file "$TMP/ready" 2> "$TMP/mirror.err" &
    local wrapper=$!
    wait_file "$TMP/ready"
    local t0=$EPOCHREALTIME
    for i in "${!TYPE_LIST[@]}"; do
        seq "$per" | sed "s/.*/{\"n\":&,\"agent_id\":\"RES-001\",\"status\":\"ok\",\"text\":\"benchmark event number &\"}/" |
            "$PUB" -u "$url" -w ws-bench "${TYPE_LIST[$i]}" --stdin > "$TMP/pub-out.$i" 2> "$TMP/pub-err.$i" &
        pids+=($!)
    done
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}" || { echo "rbus-publish ${TYPE_LIST[$i]} on $topo failed:" >&2; cat "$TMP/pub-err.$i" >&2; exit 1; }
    done
    local len last=-1 same=0 t1
    for _ in $(seq 6000); do
        len=$(stored "$topo" "$prefix"); t1=$EPOCHREALTIME
        [ "$len" = "$total" ] && break
        if [ "$len" = "$last" ]; then same=$((same + 1)); [ "$same" -ge 500 ] && break; else same=0; fi
        last=$len
        sleep 0.01
    done
    local child; child=$(pgrep -P "$wrapper") && kill -TERM "$child"
    wait "$wrapper" || true
    REC=$len
    REC_RATE=$(echo "$len / ($t1 - $t0)" | bc)
    REC_CPU=$(awk -v n="$len" '{ printf "%.3f", ($1 + $2) * 1e6 / n }' "$TMP/mcpu")
    REC_LOG=$(grep -o "mirror: recorded.*" "$TMP/mirror.err" | tail -1 || true)
    [ -z "$ids_out" ] || for i in "${!TYPE_LIST[@]}"; do
        sed 's/.*"id":"\([^"]*\)".*/\1/' "$TMP/pub-out.$i" > "$ids_out.$i"
    done
}
# dropped TOPO PREFIX: deletes the TYPES streams of PREFIX.
drop() {
    local i
    for i in "${!TYPE_LIST[@]}"; do redis-cli -p "$(port_of "$1" "$i")" del "$(stream "$2" "$i")" > /dev/null; done
}

# check IDS OUT: "lines unique missing extra out-of-order" of a consumer's
# output against the published ids (out of order: an event whose envelope
# timestamp is older than the one printed before it).
cat > "$TMP/check.py" <<'PY'
import json, sys
want = set(open(sys.argv[1]).read().split())
lines, seen, order, last = 0, set(), 0, ''
with open(sys.argv[2], 'rb') as f:
    for line in f:
        lines += 1
        if sys.argv[3] == 'ids':
            seen.add(line.strip().decode())
            continue
        e = json.loads(line)
        seen.add(e['id'])
        if e['timestamp'] < last:
            order += 1
        last = e['timestamp']
print(lines, len(seen), len(want - seen), len(seen - want), order)
PY
check() { python3 "$TMP/check.py" "$1" "$2" "${3:-json}"; }

echo "types: ${TYPE_LIST[*]}; stream slots ${SLOTS[*]}; masters ${OWNER[*]} (ports)"
echo "cluster ${CLUSTER_URL#redis://}, single server 127.0.0.1:$PORT; redis-server $(redis-server --version | awk '{print $3}' | cut -d= -f2)"

RESULTS=$TMP/results  # lines: case consumer topo rate cpu_us_per_msg ok(1|0)
: > "$RESULTS"
ERRORS=$TMP/errors  # the first failure of each case, shown at the end
: > "$ERRORS"
# failed CASE CONSUMER TOPO ERR_FILE: keeps the case's first error.
failed() {
    grep -q "^$1 $2 $3:" "$ERRORS" || echo "$1 $2 $3: $(head -c 300 "$4")" >> "$ERRORS"
}
# verify LABEL "lines unique missing extra disorder" WANT: 1 when exactly
# every id once (and no disorder with ORDERED=1), else 0, said on stderr.
verify() {
    local label=$1 lines unique missing extra disorder
    read -r lines unique missing extra disorder <<< "$2"
    if [ "$lines" = "$3" ] && [ "$unique" = "$3" ] && [ "$missing" = 0 ] && [ "$extra" = 0 ] && { [ "${4:-0}" = 0 ] || [ "$disorder" = 0 ]; }; then
        echo 1
    else
        echo "$label: $lines lines, $unique ids, $missing missing, $extra unknown, $disorder out of timestamp order (want $3 once each)" >&2
        echo 0
    fi
}

# The streams the next cases read: N events, recorded by a mirror on each topology.
for topo in cluster single; do
    record "$topo" rbus $((N / K)) "$TMP/ids.$topo"
    cat "$TMP/ids.$topo".* > "$TMP/ids.$topo"
    echo "recorded on $topo: $REC of $N ($REC_RATE events/s, mirror ${REC_CPU} us CPU per event; $REC_LOG)"
    echo "mirror rbus-subscribe-mirror $topo $REC_RATE $REC_CPU $([ "$REC" = "$N" ] && echo 1 || echo 0) $REC" >> "$RESULTS"
    [ "$REC" = "$N" ] || { echo "the mirror on $topo recorded $REC of $N: nothing to replay" >&2; exit 1; }
done
spread=
for i in "${!TYPE_LIST[@]}"; do spread+=" ${OWNER[$i]}:$(redis-cli -p "${OWNER[$i]}" xlen "$(stream rbus "$i")")"; done
echo "cluster streams per master (port:entries):$spread; keys per master: $(for p in "${CLUSTER_PORTS[@]}"; do printf '%s ' "$(redis-cli -p "$p" dbsize)"; done)"
echo "events: $N over $K types; load average $(load_avg)"

# replay_one TOPO LABEL SELECTION...: one replay, its row.
replay_one() {
    local topo=$1 label=$2 t0 t1 ok; shift 2
    t0=$EPOCHREALTIME
    $CPU "$TMP/cpu" "$SUB" -u "$(url_of "$topo")" "$@" --since 0 --until "$(date -u +%FT%T.%6NZ)" --timeout 300s \
        > "$TMP/out" 2> "$TMP/replay.err" || failed replay "$label" "$topo" "$TMP/replay.err"
    t1=$EPOCHREALTIME t0=$(started "$TMP/cpu")
    local res; res=$(check "$TMP/ids.$topo" "$TMP/out")
    ok=$(verify "replay $label on $topo" "$res" "$N" 1)
    echo "replay $label $topo $(echo "${res%% *} / ($t1 - $t0)" | bc) $(awk -v n="${res%% *}" '{ printf "%.3f", n ? ($1 + $2) * 1e6 / n : 0 }' "$TMP/cpu") $ok" >> "$RESULTS"
}

# pending TOPO GROUP SET: entries pending in GROUP over SET's streams (a stream
# without the group counts 0).
pending() {
    local i sum=0 n; declare -n sel=SET_$3
    for i in "${sel[@]}"; do
        n=$(redis-cli -p "$(port_of "$1" "$i")" xpending "$(stream rbus "$i")" "$2" 2>/dev/null | head -1)
        [[ "$n" =~ ^[0-9]+$ ]] && sum=$((sum + n))
    done
    echo "$sum"
}

# The two selections the group cases read: one stream on each master (3s), and
# every stream, two on each master (6s).
SET_3s=() SET_6s=("${!TYPE_LIST[@]}")
declare -A first=()
for i in "${!TYPE_LIST[@]}"; do [ -n "${first[${OWNER[$i]}]:-}" ] || { first[${OWNER[$i]}]=1; SET_3s+=("$i"); }; done
for topo in cluster single; do
    for set in 3s 6s; do
        declare -n sel=SET_$set
        for i in "${sel[@]}"; do cat "$TMP/ids.$topo.$i"; done > "$TMP/ids.$topo.$set"
        unset -n sel
    done
done

# group_one TOPO SET GROUP: rbus-subscribe --group over SET's types, its row.
group_one() {
    local topo=$1 set=$2 group=$3 t0 t1 ok want types=() i; declare -n sel=SET_$set
    for i in "${sel[@]}"; do types+=("${TYPE_LIST[$i]}"); done
    want=$((N / K * ${#sel[@]}))
    t0=$EPOCHREALTIME
    $CPU "$TMP/cpu" "$SUB" -u "$(url_of "$topo")" "${types[@]}" --group "$group" --consumer c1 --since 0 --count "$want" \
        --timeout 300s > "$TMP/out" 2> "$TMP/group.err" || failed "group-$set" rbus-subscribe-group "$topo" "$TMP/group.err"
    t1=$EPOCHREALTIME t0=$(started "$TMP/cpu")
    local res; res=$(check "$TMP/ids.$topo.$set" "$TMP/out")
    ok=$(verify "rbus-subscribe --group on $topo, ${#sel[@]} streams" "$res" "$want")
    local left; left=$(pending "$topo" "$group" "$set")
    [ "$left" = 0 ] || { echo "rbus-subscribe --group on $topo left $left pending" >&2; ok=0; }
    echo "group-$set rbus-subscribe-group $topo $(echo "${res%% *} / ($t1 - $t0)" | bc) $(awk -v n="${res%% *}" '{ printf "%.3f", n ? ($1 + $2) * 1e6 / n : 0 }' "$TMP/cpu") $ok" >> "$RESULTS"
}

# py_group_one TOPO SET GROUP: the redis-py loop over SET's streams, its row.
py_group_one() {
    local topo=$1 set=$2 group=$3 i args=() t0 t1 got cpu ok want; declare -n sel=SET_$set
    want=$((N / K * ${#sel[@]}))
    for i in "${sel[@]}"; do
        redis-cli -p "$(port_of "$topo" "$i")" xgroup create "$(stream rbus "$i")" "$group" 0 > /dev/null
        args+=("$(port_of "$topo" "$i")=$(stream rbus "$i")")
    done
    t0=$EPOCHREALTIME
    read -r got cpu < <("$PY" - "$group" "$want" "$TMP/out" "${args[@]}" <<'PY'
import json, os, sys, redis
group, want, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
nodes = {}  # port -> (client, [streams])
for a in sys.argv[4:]:
    port, stream = a.split('=', 1)
    nodes.setdefault(int(port), (redis.Redis(port=int(port)), []))[1].append(stream)
seen = []
while len(seen) < want:
    got = 0
    for r, streams in nodes.values():
        p = r.pipeline(transaction=False)
        for s in streams:
            p.xreadgroup(group, 'c1', {s: '>'}, count=100)
        acks = r.pipeline(transaction=False)
        for reply in p.execute():
            if not reply:
                continue
            stream, entries = reply[0]
            ids = []
            for entry_id, fields in entries:
                seen.append(json.loads(fields[b'envelope'])['id'])
                ids.append(entry_id)
            got += len(ids)
            acks.xack(stream, group, *ids)
        acks.execute()
    if not got:
        break
t = os.times()
with open(out, 'w') as f:
    f.write('\n'.join(seen) + '\n')
print(len(seen), (t.user + t.system) * 1e6 / max(len(seen), 1))
PY
)
    t1=$EPOCHREALTIME
    ok=$(verify "redis-py loop on $topo, ${#sel[@]} streams" "$(check "$TMP/ids.$topo.$set" "$TMP/out" ids)" "$want")
    local left; left=$(pending "$topo" "$group" "$set")
    [ "$left" = 0 ] || { echo "the redis-py loop on $topo left $left pending" >&2; ok=0; }
    echo "group-$set redis-py-xreadgroup $topo $(echo "$got / ($t1 - $t0)" | bc) $(printf '%.3f' "$cpu") $ok" >> "$RESULTS"
}

for round in $(seq "$RUNS"); do
    # The order of the topologies alternates between rounds.
    if [ $((round % 2)) = 1 ]; then order=(cluster single); else order=(single cluster); fi
    for topo in "${order[@]}"; do replay_one "$topo" types "${TYPE_LIST[@]}"; done
    for topo in "${order[@]}"; do replay_one "$topo" pattern 'bench.c*'; done
    for set in 3s 6s; do
        for topo in "${order[@]}"; do group_one "$topo" "$set" "rbus-$set-$round"; done
        for topo in "${order[@]}"; do py_group_one "$topo" "$set" "py-$set-$round"; done
    done
    echo "round $round: replay and group done; load average $(load_avg)"
done
for round in $(seq "$RUNS"); do
    for topo in cluster single; do
        record "$topo" "m$round" $((M / K)) ""
        echo "mirror rbus-subscribe-mirror-M $topo $REC_RATE $REC_CPU $([ "$REC" = "$M" ] && echo 1 || echo 0) $REC" >> "$RESULTS"
        [ "$REC" = "$M" ] || echo "round $round: the mirror on $topo recorded $REC of $M ($REC_LOG)" >&2
        drop "$topo" "m$round"
    done
    echo "round $round: mirror of $M done ($REC_LOG); load average $(load_avg)"
done

# median CASE CONSUMER TOPO COLUMN: "median (min-max)" of that column over the rounds.
median() {
    awk -v c="$1" -v k="$2" -v t="$3" -v col="$4" '$1 == c && $2 == k && $3 == t { print $col }' "$RESULTS" | sort -g |
        awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%s (%s-%s)", m, v[1], v[NR] }'
}
med() { median "$@" | cut -d' ' -f1; }
all_ok() { awk -v c="$1" -v k="$2" -v t="$3" '$1 == c && $2 == k && $3 == t && $6 != 1 { bad = 1 } END { print bad ? 0 : 1 }' "$RESULTS"; }
ratio() { if [ "$(echo "$2 > 0" | bc)" = 1 ]; then printf '%.2f' "$(echo "scale=4; $1 / $2" | bc)"; else echo -; fi; }

echo
echo "$RUNS rounds, median (min-max); CPU is user + sys of the consumer process; load average now $(load_avg)"
echo "replay: N=$N events in $K streams (two on each master); group-3s: the $((N / K * 3)) events of one stream on each master; group-6s: all $N"
printf '%-9s %-24s %-8s %26s %22s %s\n' case consumer topology 'events/s' 'CPU us/event' 'each id once'
for row in "replay types" "replay pattern" "group-3s rbus-subscribe-group" "group-3s redis-py-xreadgroup" \
           "group-6s rbus-subscribe-group" "group-6s redis-py-xreadgroup" \
           "mirror rbus-subscribe-mirror" "mirror rbus-subscribe-mirror-M"; do
    set -- $row
    for topo in cluster single; do
        printf '%-9s %-24s %-8s %26s %22s %s\n' "$1" "$2" "$topo" "$(median "$1" "$2" "$topo" 4)" \
            "$(median "$1" "$2" "$topo" 5)" "$([ "$(all_ok "$1" "$2" "$topo")" = 1 ] && echo yes || echo NO)"
    done
done
[ ! -s "$ERRORS" ] || { echo "cases whose consumer failed (first error of each):"; cat "$ERRORS"; }
echo "cluster/single, medians: replay types $(ratio "$(med replay types cluster 4)" "$(med replay types single 4)")x events/s," \
     "$(ratio "$(med replay types cluster 5)" "$(med replay types single 5)")x CPU per event;" \
     "group-3s $(ratio "$(med group-3s rbus-subscribe-group cluster 4)" "$(med group-3s rbus-subscribe-group single 4)")x events/s," \
     "$(ratio "$(med group-3s rbus-subscribe-group cluster 5)" "$(med group-3s rbus-subscribe-group single 5)")x CPU per event"
echo "whole run: $(echo "$EPOCHREALTIME - $started" | bc | cut -d. -f1) s"

verdict() { [ "$(echo "$1 >= $2" | bc)" = 1 ] && [ "$3" = 1 ] && echo met || echo missed; }
r_cl=$(med replay types cluster 4); r_1=$(med replay types single 4)
ok=$(( $(all_ok replay types cluster) & $(all_ok replay pattern cluster) & $(all_ok replay types single) & $(all_ok replay pattern single) ))
echo "RESULT cl-replay ${r_cl}msg/s ${r_1}msg/s $(ratio "$r_cl" "$r_1") - $([ "$ok" = 1 ] && echo info || echo missed)"
# The group figure: every stream (two a master) when rbus reads them, else one a master (said).
set=6s
[ "$(all_ok group-6s rbus-subscribe-group cluster)" = 1 ] || set=3s
g_rbus=$(med group-$set rbus-subscribe-group cluster 4); g_py=$(med group-$set redis-py-xreadgroup cluster 4)
ok=$(( $(all_ok group-$set rbus-subscribe-group cluster) & $(all_ok group-$set redis-py-xreadgroup cluster) & $(all_ok group-6s rbus-subscribe-group cluster) ))
g_ratio=$(ratio "$g_rbus" "$g_py")
echo "RESULT cl-group ${g_rbus}msg/s ${g_py}msg/s $g_ratio >=3.0x $(verdict "$g_ratio" 3.0 "$ok")"
m_min=$(awk '$1 == "mirror" && $2 == "rbus-subscribe-mirror-M" && $3 == "cluster" { print $7 }' "$RESULTS" | sort -g | head -1)
share=$(printf '%.4f' "$(echo "scale=6; $m_min / $M" | bc)")
echo "RESULT cl-mirror ${m_min}ev ${M}ev $share =1.0 $(verdict "$share" 1.0 1)"
