#!/usr/bin/env bash
# Issue 15, real traffic at line rate: each of the four shapes RaptorFlow's
# services put on the bus (bench/shapes.py: canonical, json.dumps defaults,
# pydantic BusEvent, legacy dict), N messages pushed as prebuilt RESP with
# redis-cli --pipe, consumed one consumer at a time on one private
# redis-server: rbus-subscribe (JSON lines), rbus-tail (its line, piped) and
# redis-cli SUBSCRIBE, each timed from the first push until a reader of its
# stdout has every message; CPU time (user + sys, rusage of that process via
# bench/cputime.py) per message for each. Then rbus-stats: the share of N
# BusEvent messages pushed at full speed that its window counts. RUNS rounds
# (default 5); medians with min-max spread. The machine is shared: the CPU
# times are the stable figure, the wall-clock ratios are noisy.
# Usage: bench/shapes.sh [N] [RUNS]   (RBUS_BUILD selects the build; default build/)
source "$(dirname "$0")/consumer_lib.sh"
N=${1:-100000}
RUNS=${2:-5}
TAIL=$BUILD/tools/rbus-tail
STATS=$BUILD/tools/rbus-stats
CPU="python3 $ROOT/bench/cputime.py"
SHAPES=(canonical dumps bus_event legacy)
bench_start bench.item
for s in "${SHAPES[@]}"; do python3 "$ROOT/bench/shapes.py" "$s" "$N" "$CHANNEL" "$TMP/$s"; done
echo "messages: $N per shape; load average $(load_avg)"
if [ -x "$BUILD/bench/read-bench" ]; then
    echo "== readers, in process (ns per message, median of 5 passes)"
    files=(); for s in "${SHAPES[@]}"; do files+=("$TMP/$s.json"); done
    "$BUILD/bench/read-bench" "${files[@]}" || true
fi

reader() {  # reader WANT END_FILE: counts lines until WANT, then the time
    head -n "$1" | wc -l
    now > "$2"
}
cpu_us() { awk -v n="$2" '{ printf "%.3f", ($1 + $2) * 1e6 / n }' "$1"; }

RESULTS=$TMP/results  # lines: shape consumer rate cpu_us_per_msg lost
: > "$RESULTS"
push() { redis-cli -p "$PORT" --pipe < "$TMP/$1.resp" > /dev/null; }

run_rbus() {  # run_rbus SHAPE NAME TOOL ARGS...
    local shape=$1 name=$2; shift 2
    rm -f "$TMP/ready" "$TMP/end"
    $CPU "$TMP/cpu" "$@" -u "$URL" "$TYPE" --count "$N" --timeout 120s --ready-file "$TMP/ready" 2> "$TMP/err" |
        reader "$N" "$TMP/end" > "$TMP/lines" &
    local job=$!
    wait_file "$TMP/ready"
    local start; start=$(now)
    push "$shape"
    wait "$job" || true
    local got; got=$(cat "$TMP/lines")
    local secs; secs=$(echo "$(cat "$TMP/end") - $start" | bc)
    echo "$shape $name $(echo "$got / $secs" | bc) $(cpu_us "$TMP/cpu" "$N") $((N - got))" >> "$RESULTS"
}

run_cli() {  # run_cli SHAPE
    local shape=$1
    rm -f "$TMP/end"
    ( $CPU "$TMP/cpu" timeout 120 redis-cli -p "$PORT" subscribe "$CHANNEL" 2>/dev/null || true ) |
        reader $((3 * N + 3)) "$TMP/end" > "$TMP/lines" &
    local job=$!
    wait_numsub "$CHANNEL" 1
    local start; start=$(now)
    push "$shape"
    for _ in $(seq 12000); do [ -s "$TMP/end" ] && break; sleep 0.01; done
    local secs; secs=$(echo "$(cat "$TMP/end") - $start" | bc)
    redis-cli -p "$PORT" client kill type pubsub > /dev/null
    wait_numsub "$CHANNEL" 0
    wait "$job" || true
    local got=$((($(cat "$TMP/lines") - 3) / 3))
    # cputime.py measured `timeout`; its child redis-cli is what counts: timeout's own CPU is nil.
    echo "$shape redis-cli $(echo "$got / $secs" | bc) $(cpu_us "$TMP/cpu" "$N") $((N - got))" >> "$RESULTS"
}

run_stats() {  # run_stats SHAPE: the share of N that one rbus-stats window counts
    rm -f "$TMP/stats.json"
    $CPU "$TMP/cpu" "$STATS" -u "$URL" --duration 6s --json > "$TMP/stats.json" 2> "$TMP/stats.err" &
    local job=$!
    for _ in $(seq 1000); do [ "$(redis-cli -p "$PORT" pubsub numpat)" = 1 ] && break; sleep 0.01; done
    push "$1"
    wait "$job" || true
    local counted; counted=$(jq -r '.traffic.events' "$TMP/stats.json" 2>/dev/null || echo 0)
    echo "$1 rbus-stats $counted $(cpu_us "$TMP/cpu" "$N") $((N - counted))" >> "$RESULTS"
}

for run in $(seq "$RUNS"); do
    for s in "${SHAPES[@]}"; do
        run_rbus "$s" rbus-subscribe "$SUB"
        run_rbus "$s" rbus-tail "$TAIL"
        run_cli "$s"
    done
    run_stats bus_event
    echo "round $run done; load average $(load_avg)"
done

python3 - "$RESULTS" "$N" "$RUNS" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
n, runs = int(sys.argv[2]), int(sys.argv[3])
def pick(shape, who, col):
    return [float(r[col]) for r in rows if r[0] == shape and r[1] == who]
print(f"== {runs} rounds of {n} messages: median (min-max)")
print(f"{'shape':<10} {'consumer':<15} {'msg/s':>22} {'CPU µs/msg':>22} {'lost':>5} {'ratio to redis-cli':>26}")
worst = None
for shape in ['canonical', 'dumps', 'bus_event', 'legacy']:
    cli_rates = pick(shape, 'redis-cli', 2)
    for who in ['rbus-subscribe', 'rbus-tail', 'redis-cli']:
        rates, cpus, lost = pick(shape, who, 2), pick(shape, who, 3), pick(shape, who, 4)
        if not rates:
            continue
        ratio = ''
        if who != 'redis-cli':
            ratios = [a / b for a, b in zip(rates, cli_rates) if b > 0]
            ratio = f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
            target = 1.0 if who == 'rbus-subscribe' else 0.8
            met = statistics.median(ratios) >= target and max(lost) == 0
            ratio += f" {'met' if met else 'missed'} >={target}"
            if who == 'rbus-subscribe' and (worst is None or statistics.median(ratios) < worst[0]):
                worst = (statistics.median(ratios), statistics.median(rates), statistics.median(cli_rates),
                         max(lost) == 0)
        print(f"{shape:<10} {who:<15} {statistics.median(rates):>9.0f} ({min(rates):.0f}-{max(rates):.0f})"
              f" {statistics.median(cpus):>8.3f} ({min(cpus):.3f}-{max(cpus):.3f}) {int(max(lost)):>5} {ratio:>26}")
counted = pick('bus_event', 'rbus-stats', 2)
cpus = pick('bus_event', 'rbus-stats', 3)
print(f"rbus-stats counted of {n} BusEvent pushed at full speed: {', '.join(str(int(c)) for c in counted)}"
      f" ({100 * min(counted) / n:.1f}% at worst); CPU µs/msg median {statistics.median(cpus):.3f}")
verdict = 'met' if worst[0] >= 1.0 and worst[3] else 'missed'
print(f"RESULT shapes {worst[1]:.0f}msg/s {worst[2]:.0f}msg/s {worst[0]:.2f} >=1.0x {verdict}")
PY
