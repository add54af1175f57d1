#!/usr/bin/env bash
# A hostile bus: names, fields and bytes from the bus reach a person's terminal
# and a team's monitoring only escaped (rbus(7) SECURITY). Each case publishes
# or subscribes as an attacker would, with a plain redis-cli.
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1
export REDIS_URL=$R_URL

OSC52=$'\e]52;c;Zm9yZ2Vk\a\e[2J'
RLO=$'\u202e'
C1_CSI=$'\xc2\x9b'

# no_raw_controls FILE WHAT: no ESC, BEL, CR, C1 CSI or RLO byte in FILE.
no_raw_controls() {
    ! LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$1" || die "$2: raw control characters: $(head -c 300 "$1" | od -c | head -5)"
    ! grep -qF "$RLO" "$1" || die "$2: a raw U+202E"
    ! grep -qF "$C1_CSI" "$1" || die "$2: a raw C1 CSI"
}

# A subscriber on CHANNEL (raw bytes), held until the case ends.
hold_subscriber() {
    redis-cli -p "$R_PORT" subscribe "$1" > /dev/null &
    track $!
    wait_until 10 has_subscribers "$R_PORT" "$1" 1 || die "redis-cli did not subscribe"
}

stats_names_escaped() {
    redis-cli -p "$R_PORT" set "metrics:channel:raptorflow.events.a${OSC52}:published" 7 > /dev/null
    hold_subscriber "raptorflow.events.a${OSC52}"
    hold_subscriber "raptorflow.events.b${RLO}x"
    timeout -k 2 30 rbus-stats --duration 0 > "$TEST_TMP/t.out" 2> "$TEST_TMP/t.err" || die "rbus-stats: $(cat "$TEST_TMP/t.err")"
    no_raw_controls "$TEST_TMP/t.out" "the stats table"
    grep -qF 'raptorflow.events.a\u001b]52;c;Zm9yZ2Vk\u0007\u001b[2J' "$TEST_TMP/t.out" || die "the name is not shown escaped: $(cat "$TEST_TMP/t.out")"
    grep -qF 'raptorflow.events.b\u202ex' "$TEST_TMP/t.out" || die "the RLO is not shown escaped"
    timeout -k 2 30 rbus-stats --check --duration 0 > "$TEST_TMP/c.out" 2>&1 || die "--check"
    no_raw_controls "$TEST_TMP/c.out" "the --check line"
}

stats_json_and_prometheus_invalid_utf8() {
    hold_subscriber $'raptorflow.events.c\xff'
    hold_subscriber $'raptorflow.events.c\xfe'
    hold_subscriber $'raptorflow.events.d\r'
    timeout -k 2 30 rbus-stats --duration 0 --json > "$TEST_TMP/j.out" 2> "$TEST_TMP/j.err" || die "--json exit $?: $(cat "$TEST_TMP/j.err")"
    jq -e . "$TEST_TMP/j.out" > /dev/null || die "--json is not valid JSON"
    ! grep -q $'\xef\xbf\xbd' "$TEST_TMP/j.out" || die "U+FFFD in --json"
    expect_eq "$(jq -r '[.channels[].channel | select(startswith("raptorflow.events.c"))] | sort | join(" ")' "$TEST_TMP/j.out")" \
        'raptorflow.events.c\xfe raptorflow.events.c\xff' "two channels, two names"
    timeout -k 2 30 rbus-stats --watch --interval 1s --duration 0 > "$TEST_TMP/w.out" 2> "$TEST_TMP/w.err" &
    local w=$!; track "$w"
    wait_until 10 test -s "$TEST_TMP/w.out" || die "--watch printed nothing: $(cat "$TEST_TMP/w.err")"
    kill -TERM "$w"; wait "$w"
    head -1 "$TEST_TMP/w.out" | jq -e .channels > /dev/null || die "--watch JSON line invalid"
    timeout -k 2 30 rbus-stats --duration 0 --prometheus > "$TEST_TMP/p.out" || die "--prometheus"
    no_raw_controls "$TEST_TMP/p.out" "--prometheus"
    ! LC_ALL=C grep -q $'\xff' "$TEST_TMP/p.out" || die "a raw 0xff byte in --prometheus"
    grep -qF 'channel="raptorflow.events.c\\xff"' "$TEST_TMP/p.out" || die "label not escaped: $(grep events.c "$TEST_TMP/p.out")"
    grep -qF 'channel="raptorflow.events.d\\u000d"' "$TEST_TMP/p.out" || die "CR label not escaped"
}

template_one_event_one_line() {
    bg_ready S timeout -k 2 20 rbus-subscribe agent.x --count 1 --format '{payload.agent_id}\t{type}|{payload.agent_id:raw}'
    redis-cli -p "$R_PORT" publish raptorflow.events.agent.x \
        '{"type":"agent.x","payload":{"agent_id":"a\nforged\trow\u001b[2J\u202e"}}' > /dev/null
    wait "$S_PID" || die "subscriber: $(cat "$TEST_TMP/S.err")"
    local first; first=$(head -1 "$TEST_TMP/S.out")
    expect_eq "$first" 'a\nforged\trow\u001b[2J\u202e	agent.x|a' "escaped fields, the template's own tab"
    expect_eq "$(sed -n 2p "$TEST_TMP/S.out")" $'forged\trow\e[2J\u202e' ":raw writes the string as it is"
}

tail_and_logs_bidi_c1() {
    bg_ready T timeout -k 2 20 rbus-tail --count 1 --color never
    redis-cli -p "$R_PORT" publish "raptorflow.events.agent.${RLO}x" 'not json' > /dev/null
    redis-cli -p "$R_PORT" publish raptorflow.events.agent.y \
        '{"type":"agent.y\u202e","workspace_id":"w\u0085","payload":{"k":"v\u202e\u009b"}}' > /dev/null
    wait "$T_PID" || die "rbus-tail: $(cat "$TEST_TMP/T.err")"
    no_raw_controls "$TEST_TMP/T.out" "rbus-tail"
    grep -qF 'agent.y\u202e' "$TEST_TMP/T.out" || die "type not escaped: $(cat "$TEST_TMP/T.out")"
    grep -qF 'skipped invalid message on raptorflow.events.agent.\u202ex' "$TEST_TMP/T.err" || die "log line: $(cat "$TEST_TMP/T.err")"
    no_raw_controls "$TEST_TMP/T.err" "the log line"
}

json_on_a_terminal() {
    # script(1) gives rbus-subscribe a terminal; NO_COLOR keeps the JSON plain.
    local cmd="NO_COLOR=1 rbus-subscribe agent.z --count 1 --timeout 15s --ready-file $TEST_TMP/z.ready"
    SHELL=/bin/bash script -qefc "$cmd" "$TEST_TMP/z.typescript" > /dev/null 2>&1 < /dev/null &
    local s=$!; track "$s"
    wait_until 10 test -e "$TEST_TMP/z.ready" || die "not ready"
    redis-cli -p "$R_PORT" publish raptorflow.events.agent.z \
        '{"type":"agent.z","payload":{"k":"v\u202eevil\u0085"}}' > /dev/null
    wait "$s" || die "subscriber on a terminal"
    grep -qF '"k":"v\u202eevil\u0085"' "$TEST_TMP/z.typescript" || die "not escaped on a terminal: $(cat "$TEST_TMP/z.typescript")"
    ! grep -qF "$RLO" "$TEST_TMP/z.typescript" || die "a raw U+202E on the terminal"
    # On a pipe the JSON is the same value, unescaped bytes are fine for jq.
    bg_ready P timeout -k 2 20 rbus-subscribe agent.z --count 1
    redis-cli -p "$R_PORT" publish raptorflow.events.agent.z '{"type":"agent.z","payload":{"k":"v\u202e"}}' > /dev/null
    wait "$P_PID" || die "subscriber on a pipe"
    expect_eq "$(jq -r .payload.k "$TEST_TMP/P.out")" "v$RLO" "the value is kept"
}

case_ "rbus-stats table and --check: names from the bus escaped (OSC 52, RLO)" stats_names_escaped
case_ "rbus-stats --json/--watch/--prometheus: valid UTF-8, invalid bytes one-to-one" stats_json_and_prometheus_invalid_utf8
case_ "--format TEMPLATE: fields escaped JSON-style, one event one line; {field:raw}" template_one_event_one_line
case_ "rbus-tail and log lines: bidi overrides and C1 controls escaped" tail_and_logs_bidi_c1
case_ "JSON on a terminal: bidi overrides and C1 controls escaped" json_on_a_terminal
