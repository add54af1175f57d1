#!/usr/bin/env bash
# CPU time per message of two builds of rbus, side by side in one run (issue
# 18: a restructuring must not cost CPU). Each round runs, for build A then
# build B, on one private redis-server: rbus-subscribe and rbus-tail (piped)
# on N messages of each of the four shapes (bench/shapes.py) pushed with
# redis-cli --pipe, and rbus-publish --stdin publishing N payloads. CPU time is
# user + sys of the rbus process (rusage, bench/cputime.py): the figure that
# holds on a shared machine. Prints the median of RUNS rounds (default 5) per
# case and build, with min-max, and B's median against A's.
# Usage: bench/cpu-compare.sh BUILD_A BUILD_B [N] [RUNS]
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: bench/cpu-compare.sh BUILD_A BUILD_B [N] [RUNS]" >&2; exit 2; }
A=$(cd "$1" && pwd)
B=$(cd "$2" && pwd)
export RBUS_BUILD=$B
source "$(dirname "$0")/consumer_lib.sh"
N=${3:-100000}
RUNS=${4:-5}
CPU="python3 $ROOT/bench/cputime.py"
SHAPES=(canonical dumps bus_event legacy)
for b in "$A" "$B"; do
    for t in rbus-subscribe rbus-tail rbus-publish; do
        [ -x "$b/tools/$t" ] || { echo "no $b/tools/$t" >&2; exit 1; }
    done
done
bench_start bench.item
for s in "${SHAPES[@]}"; do python3 "$ROOT/bench/shapes.py" "$s" "$N" "$CHANNEL" "$TMP/$s"; done
seq "$N" | sed 's/.*/{"n":&,"agent_id":"RES-001","status":"ok","text":"benchmark event number &"}/' > "$TMP/payloads"
echo "A: $A ($(git -C "$A/.." log -1 --format=%h 2>/dev/null || echo '?'))"
echo "B: $B ($(git -C "$B/.." log -1 --format=%h 2>/dev/null || echo '?'))"
echo "messages: $N per case; load average $(load_avg)"

RESULTS=$TMP/results  # lines: case build cpu_us_per_msg
: > "$RESULTS"
cpu_us() { awk -v n="$2" '{ printf "%.3f", ($1 + $2) * 1e6 / n }' "$1"; }

consume() {  # consume CASE A|B TOOL SHAPE
    local name=$1 label=$2 tool=$3 shape=$4 build
    build=${!label}
    rm -f "$TMP/ready"
    $CPU "$TMP/cpu" "$build/tools/$tool" -u "$URL" "$TYPE" --count "$N" --timeout 120s --ready-file "$TMP/ready" \
        > /dev/null 2> "$TMP/err" &
    local job=$!
    wait_file "$TMP/ready"
    redis-cli -p "$PORT" --pipe < "$TMP/$shape.resp" > /dev/null
    wait "$job" || { echo "$tool ($build) failed on $shape: $(head -c 300 "$TMP/err")" >&2; exit 1; }
    echo "$name $label $(cpu_us "$TMP/cpu" "$N")" >> "$RESULTS"
}

publish() {  # publish A|B
    local build=${!1}
    $CPU "$TMP/cpu" "$build/tools/rbus-publish" -u "$URL" "$TYPE" --stdin < "$TMP/payloads" > /dev/null 2> "$TMP/err" ||
        { echo "rbus-publish ($build) failed: $(head -c 300 "$TMP/err")" >&2; exit 1; }
    echo "publish-stdin $1 $(cpu_us "$TMP/cpu" "$N")" >> "$RESULTS"
}

for run in $(seq "$RUNS"); do
    for s in "${SHAPES[@]}"; do
        for b in A B; do consume "subscribe-$s" "$b" rbus-subscribe "$s"; done
        for b in A B; do consume "tail-$s" "$b" rbus-tail "$s"; done
    done
    for b in A B; do publish "$b"; done
    echo "round $run done; load average $(load_avg)"
done

python3 - "$RESULTS" "$RUNS" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
a, b, runs = 'A', 'B', int(sys.argv[2])
cases = []
for r in rows:
    if r[0] not in cases:
        cases.append(r[0])
print(f"== CPU us per message, median (min-max) of {runs} rounds")
print(f"{'case':<20} {'A':>24} {'B':>24} {'B/A':>6}")
worst = 0.0
for c in cases:
    va = [float(r[2]) for r in rows if r[0] == c and r[1] == a]
    vb = [float(r[2]) for r in rows if r[0] == c and r[1] == b]
    ma, mb = statistics.median(va), statistics.median(vb)
    worst = max(worst, mb / ma)
    print(f"{c:<20} {ma:>8.3f} ({min(va):.3f}-{max(va):.3f}) {mb:>8.3f} ({min(vb):.3f}-{max(vb):.3f}) {mb / ma:>6.2f}")
verdict = 'met' if worst <= 1.05 else 'missed'
print(f"RESULT cpu-compare {worst:.2f}worst-B/A - {worst:.2f} <=1.05 {verdict}")
PY
