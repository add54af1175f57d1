#!/usr/bin/env bash
# rbus-stats --check exit codes and status lines; --prometheus parses as the
# text exposition format.
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1
export REDIS_URL=$R_URL

check_healthy_0() {
    bg_ready S rbus-subscribe agent.task_started
    local out rc
    out=$(rbus-stats --check --max-rtt 10s --min-subscribers agent.task_started=1); rc=$?
    expect_code "$rc" 0 "healthy"
    expect_lines "$out" 1 "one status line"
    expect_match "$out" "^OK redis://127\.0\.0\.1:$R_PORT/0 reachable: redis [0-9.]+, PING p50 [0-9.]+ms p99 [0-9.]+ms, 1 channel\(s\) under raptorflow\.events$" "OK line"
}

check_threshold_1() {
    bg_ready S rbus-subscribe agent.x
    local out rc
    out=$(rbus-stats --check --min-subscribers agent.x=2 --min-subscribers agent.x=1); rc=$?
    expect_code "$rc" 1 "too few subscribers"
    expect_match "$out" "^FAIL redis://127\.0\.0\.1:$R_PORT/0: agent\.x has 1 subscriber\(s\) < 2 \(redis " "FAIL line"
    expect_lines "$out" 1 "one status line"
    # Any round trip takes more than 0ms.
    out=$(rbus-stats --check --max-rtt 0ms); rc=$?
    expect_code "$rc" 1 "--max-rtt 0ms"
    expect_match "$out" "^FAIL .*: PING p99 [0-9.]+ms > 0ms " "FAIL line for the round trip"
}

check_unreachable_3() {
    local port out rc
    port=$(free_port)
    out=$(rbus-stats --check --min-subscribers agent.x=1 -u "redis://127.0.0.1:$port" 2> "$TEST_TMP/err"); rc=$?
    expect_code "$rc" 3 "unreachable"
    expect_match "$out" "^UNREACHABLE redis://127\.0\.0\.1:$port/0: " "UNREACHABLE line"
    expect_lines "$(cat "$TEST_TMP/err")" 1 "one error line"
    expect_match "$(cat "$TEST_TMP/err")" "^rbus-stats: error: " "error line"
}

check_usage_2() {
    local rc
    rbus-stats --check --min-subscribers agent.x 2> "$TEST_TMP/err"; rc=$?
    expect_code "$rc" 2 "TYPE without =N"
    expect_match "$(cat "$TEST_TMP/err")" '^rbus-stats: error: invalid --min-subscribers "agent.x": use TYPE=N' "error"
    rbus-stats --max-rtt 1s 2> /dev/null; rc=$?
    expect_code "$rc" 2 "--max-rtt without --check"
    rbus-stats --check --max-rtt soon 2> /dev/null; rc=$?
    expect_code "$rc" 2 "bad duration"
}

check_with_window() {
    local out rc
    out=$(rbus-stats --check --duration 500ms); rc=$?
    expect_code "$rc" 0 "--check --duration"
    expect_match "$out" ", [0-9.]+ events/s over 0\.[0-9]+s$" "window in the OK line"
}

prometheus_parses() {
    # A channel name with a quote and a backslash: label values must be escaped.
    redis-cli -p "$R_PORT" subscribe 'raptorflow.events.we"ird\x' > /dev/null &
    track $!
    wait_until 10 has_subscribers "$R_PORT" 'raptorflow.events.we"ird\x' 1 || die "no subscriber"
    rbus-stats --prometheus --duration 2s > "$TEST_TMP/prom" 2> "$TEST_TMP/prom.err" &
    local pid=$!
    track "$pid"
    wait_until 10 has_patterns "$R_PORT" 1 || die "rbus-stats did not subscribe"
    seq 3 | sed 's/.*/{"n":&}/' | rbus-publish -q agent.task_started --stdin -w 'ws "1"' || die "publish failed"
    wait "$pid" || die "rbus-stats --prometheus failed: $(cat "$TEST_TMP/prom.err")"
    python3 - "$TEST_TMP/prom" <<'PY' || die "not valid exposition format (see the assertion above)"
import re, sys
name_re = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*$')
sample_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})? (\S+)$')
types, samples = {}, []
for n, line in enumerate(open(sys.argv[1]), 1):
    line = line.rstrip('\n')
    if line.startswith('# TYPE '):
        _, _, name, kind = line.split(' ')
        assert name_re.match(name) and name not in types, line
        assert kind in ('counter', 'gauge', 'summary', 'histogram', 'untyped'), line
        types[name] = kind
        continue
    if line.startswith('# HELP ') or not line:
        continue
    m = sample_re.match(line)
    assert m, f'line {n} is not a sample: {line!r}'
    name = m.group(1)
    family = name
    for suffix in ('_sum', '_count', '_bucket'):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and types.get(base) in ('summary', 'histogram'):
            family = base
    assert family in types, f'line {n}: no TYPE before {name}'
    assert name.startswith('rbus_'), name
    float(m.group(3))
    samples.append(line)
text = '\n'.join(samples)
assert 'rbus_channel_subscribers{channel="raptorflow.events.we\\"ird\\\\x"} 1' in text, text
assert 'rbus_window_events_by_type{type="agent.task_started"} 3' in text, text
assert 'rbus_events_per_second_by_workspace{workspace="ws \\"1\\""}' in text, text
assert 'rbus_bus_lag_seconds_count 3' in text, text
PY
}

case_ "--check healthy: exit 0, OK line" check_healthy_0
case_ "--check threshold failed: exit 1, FAIL line" check_threshold_1
case_ "--check unreachable: exit 3, UNREACHABLE line" check_unreachable_3
case_ "--check bad thresholds: exit 2" check_usage_2
case_ "--check --duration adds the window" check_with_window
case_ "--prometheus is valid exposition format" prometheus_parses
