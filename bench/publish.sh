#!/usr/bin/env bash
# Batch publish: rbus-publish --stdin (200,000 payloads from a file, envelopes
# built and PUBLISHed pipelined) against redis-cli --pipe fed prebuilt RESP of
# the same envelopes, on one private redis-server in the same run.
# Usage: bench/publish.sh [N]   (RBUS_BUILD selects the build; default build/)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${RBUS_BUILD:-$ROOT/build}
PUB=$BUILD/tools/rbus-publish
N=${1:-200000}
[ -x "$PUB" ] || { echo "no $PUB: build first (scripts/build)" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rbus-bench.XXXXXX")
REDIS_PID=
cleanup() { [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

port=
for _ in $(seq 100); do
    p=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { port=$p; break; }
done
[ -n "$port" ] || { echo "no free port" >&2; exit 1; }
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" --logfile "$TMP/redis.log" &
REDIS_PID=$!
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
URL=redis://127.0.0.1:$port
TYPE=bench.item
CHANNEL=raptorflow.events.$TYPE

seq "$N" | sed 's/.*/{"n":&,"agent_id":"RES-001","status":"ok","text":"benchmark event number &"}/' > "$TMP/payloads"
# The same envelopes, prebuilt as RESP for redis-cli --pipe.
"$PUB" --dry-run -u "$URL" "$TYPE" --stdin < "$TMP/payloads" > "$TMP/envelopes" 2>/dev/null
python3 - "$CHANNEL" "$TMP/envelopes" "$TMP/resp" <<'PY'
import sys
channel = sys.argv[1].encode()
with open(sys.argv[2], 'rb') as src, open(sys.argv[3], 'wb') as out:
    head = b'*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s\r\n' % (len(channel), channel)
    for line in src:
        body = line.rstrip(b'\n')
        out.write(head + b'$%d\r\n%s\r\n' % (len(body), body))
PY

now() { date +%s.%N; }
rate() { python3 -c "print(f'{$1 / ($3 - $2):,.0f}')"; }

t0=$(now)
"$PUB" -q -u "$URL" "$TYPE" --stdin < "$TMP/payloads"
t1=$(now)
redis-cli -p "$port" --pipe < "$TMP/resp" > "$TMP/pipe.out"
t2=$(now)
grep -q "errors: 0, replies: $N" "$TMP/pipe.out" || { cat "$TMP/pipe.out" >&2; exit 1; }

rbus_rate=$(python3 -c "print($N / ($t1 - $t0))")
cli_rate=$(python3 -c "print($N / ($t2 - $t1))")
printf 'batch publish of %d envelopes on one private redis-server (%s)\n' "$N" "$(redis-server --version | awk '{print $3}')"
printf '  rbus-publish --stdin       %10.0f events/s  (%.2fs, payloads → envelopes → PUBLISH)\n' "$rbus_rate" "$(python3 -c "print($t1 - $t0)")"
printf '  redis-cli --pipe (RESP)    %10.0f events/s  (%.2fs, prebuilt)\n' "$cli_rate" "$(python3 -c "print($t2 - $t1)")"
printf '  ratio rbus / redis-cli     %10.2f\n' "$(python3 -c "print($rbus_rate / $cli_rate)")"
