#!/usr/bin/env bash
# Hostile input, from the command line and from the bus: each case names its
# exit code and its one error line; nothing crashes, hangs or reaches Redis as
# a command (a canary key must survive every injection attempt).
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1
export REDIS_URL=$R_URL
redis-cli -p "$R_PORT" set canary alive > /dev/null

# usage_error EXPECTED_CODE REGEX CMD...: runs CMD (bounded); asserts the exit
# code and that stderr is exactly one line `TOOL: error: …` matching REGEX,
# free of raw control characters.
one_error() {
    local code=$1 re=$2; shift 2
    local rc=0 err tool
    tool=$1
    [ "$tool" = timeout ] && tool=$4
    timeout -k 2 30 "$@" > "$TEST_TMP/o" 2> "$TEST_TMP/e" < "${STDIN_FROM:-/dev/null}" || rc=$?
    err=$(cat "$TEST_TMP/e")
    expect_code "$rc" "$code" "$tool exit code ($(head -c 200 <<< "$err"))"
    expect_lines "$err" 1 "$tool: one line on stderr"
    expect_match "$err" "^$tool: error: $re" "$tool error line"
    ! LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$TEST_TMP/e" || die "raw control characters in the error line"
    expect_eq "$(cat "$TEST_TMP/o")" "" "nothing on stdout"
}

# A batch with bad lines: the WARN lines and the summary, then one error line.
batch_error() {
    local rc=0
    timeout -k 2 30 "$@" > "$TEST_TMP/o" 2> "$TEST_TMP/e" || rc=$?
    expect_code "$rc" 1 "batch exit code"
    expect_eq "$(grep -c 'error:' "$TEST_TMP/e")" 1 "one error line"
    expect_match "$(tail -1 "$TEST_TMP/e")" "^rbus-publish: error: [0-9]+ of [0-9]+ line\(s\) not published$" "batch error line"
}

canary_alive() { expect_eq "$(redis-cli -p "$R_PORT" get canary)" alive "the canary key survived"; }

deep() { /usr/bin/python3 -c "import sys; n=int(sys.argv[1]); sys.stdout.write('{\"a\":' + '['*n + ']'*n + '}')" "$1"; }

deep_nesting() {
    deep 100000 > "$TEST_TMP/deep.json"
    one_error 2 "payload @$TEST_TMP/deep.json: JSON nested too deeply \(more than 512 levels\)$" rbus-publish h.deep "@$TEST_TMP/deep.json"
    STDIN_FROM=$TEST_TMP/deep.json one_error 2 "payload from stdin: JSON nested too deeply" rbus-publish h.deep -
    one_error 2 "item \"nested:=@.*\": JSON nested too deeply" rbus-publish h.deep "nested:=@$TEST_TMP/deep.json"
    batch_error rbus-publish --stdin h.deep < "$TEST_TMP/deep.json"
    batch_error rbus-publish --envelopes "$TEST_TMP/deep.json"
    # One argument holds at most 128 KiB (the kernel's MAX_ARG_STRLEN): 100,000
    # levels cannot be an argument at all; 60,000 can.
    one_error 2 "(payload: )?JSON nested too deeply \(more than 512 levels\)$" rbus-publish h.deep "$(deep 60000)"
    one_error 2 "" rbus-publish h.deep "a[$(printf 'b][%.0s' $(seq 600))c]=v"
    canary_alive
}

two_mib_payload() {
    /usr/bin/python3 -c "import sys; sys.stdout.write('{\"s\":\"' + 'x'*(2*1024*1024) + '\"}')" > "$TEST_TMP/big.json"
    one_error 2 "envelope is [0-9]+ bytes, more than --max-bytes 1048576$" rbus-publish h.big "@$TEST_TMP/big.json"
    batch_error rbus-publish --stdin h.big < "$TEST_TMP/big.json"
    # Accepted when the limit allows it, delivered whole.
    bg_ready S timeout -k 2 20 rbus-subscribe h.big --count 1 --format payload
    timeout -k 2 20 rbus-publish -q --max-bytes 4194304 h.big "@$TEST_TMP/big.json" || die "4 MiB limit: refused"
    wait "$S_PID" || die "subscriber"
    expect_eq "$(jq -r '.s | length' "$TEST_TMP/S.out")" 2097152 "2 MiB payload received whole"
}

invalid_utf8_and_nul() {
    printf '{"s":"\xff\xfe"}' > "$TEST_TMP/u.json"
    one_error 2 "payload @$TEST_TMP/u.json: invalid" rbus-publish h.utf8 "@$TEST_TMP/u.json"
    batch_error rbus-publish --stdin h.utf8 < "$TEST_TMP/u.json"
    one_error 2 "" rbus-publish h.utf8 $'s=\xc3\x28'
    one_error 2 "invalid event type" rbus-publish $'h.\xc3\x28' x=1
    printf '{"s":"a\0b"}\n' > "$TEST_TMP/nul.json"
    one_error 2 "payload @$TEST_TMP/nul.json: invalid JSON" rbus-publish h.nul "@$TEST_TMP/nul.json"
    batch_error rbus-publish --stdin h.nul < "$TEST_TMP/nul.json"
    printf 'x\0y' > "$TEST_TMP/nul.txt"
    # key=@file: text with a NUL is kept as the string "x\u0000y", escaped in JSON.
    local rc=0; timeout -k 2 20 rbus-publish --dry-run h.nul "s=@$TEST_TMP/nul.txt" > "$TEST_TMP/o" 2> "$TEST_TMP/e" || rc=$?
    if [ "$rc" -eq 0 ]; then
        expect_eq "$(jq -r '.payload.s | length' "$TEST_TMP/o")" 3 "NUL kept inside the string"
    else
        expect_code "$rc" 2 "key=@file with a NUL"
        expect_lines "$(cat "$TEST_TMP/e")" 1 "one line"
    fi
    canary_alive
}

control_characters_in_types() {
    local t
    for t in $'agent.\x01x' $'agent.x\ty' $'agent.\e[31mred' $'agent.x\x7f' $'agent.x\r\nFLUSHALL' $'agent.x\nPING'; do
        one_error 2 "invalid event type \".*\": a control character is not allowed" rbus-publish "$t" x=1
    done
    one_error 2 "invalid event type" rbus-publish --stdin $'agent.\x01x' < /dev/null
    canary_alive
}

template_unknown_field() {
    one_error 2 "invalid --format template: unknown field \{nope\}" rbus-subscribe --format '{nope}' a.b
    one_error 2 "invalid --format template" rbus-subscribe --format '{type' a.b
    one_error 2 "" rbus-subscribe --format $'{type}\x01{\x02}' a.b
}

url_unknown_scheme() {
    local u
    for u in 'ftp://127.0.0.1' 'redis+foo://h' 'mongodb://h:27017' '://h' 'redis//h' 'gopher://h'; do
        one_error 2 "" rbus-publish -u "$u" a.b
        one_error 2 "" rbus-subscribe -u "$u" a.b
    done
    one_error 2 "invalid URL .*contains a control character" rbus-publish -u $'redis://h\r\nFLUSHALL:1' a.b
    one_error 2 "" rbus-stats -u 'redis://127.0.0.1:99999'
}

crlf_injection() {
    one_error 2 "invalid channel prefix" rbus-publish --prefix $'p\r\nFLUSHALL' a.b
    one_error 2 "" rbus-subscribe --prefix $'p\r\nFLUSHALL' a.b
    one_error 2 "" rbus-subscribe $'a.b\r\nFLUSHALL'
    # Ids are JSON strings in the envelope: escaped, never a command.
    bg_ready S timeout -k 2 20 rbus-subscribe agent.x --count 1
    timeout -k 2 20 rbus-publish -q -w $'ws\r\nFLUSHALL' -c $'c\r\nFLUSHALL' --source-agent-id $'s\r\nFLUSHALL' agent.x \
        $'k\r\nFLUSHALL=v\r\nFLUSHALL' || die "ids with CRLF"
    wait "$S_PID" || die "subscriber"
    expect_eq "$(jq -r .workspace_id "$TEST_TMP/S.out")" $'ws\r\nFLUSHALL' "workspace id kept as data"
    # A password with CRLF is sent as one AUTH argument: refused, not injected.
    printf 'pw\r\nFLUSHALL\r\n' > "$TEST_TMP/pw"
    local rc=0; timeout -k 2 20 rbus-publish --password-file "$TEST_TMP/pw" a.b > /dev/null 2> "$TEST_TMP/e" || rc=$?
    [ "$rc" -eq 3 ] || [ "$rc" -eq 0 ] || die "password with CRLF: exit $rc: $(cat "$TEST_TMP/e")"
    expect_no "$(cat "$TEST_TMP/e")" FLUSHALL "the secret is not printed"
    one_error 2 "invalid URL .*: the user name contains a control character$" rbus-publish -u $'redis://us%0D%0AFLUSHALL:pw@127.0.0.1:'"$R_PORT" a.b
    canary_alive
}

ten_thousand_argv_items() {
    local items=() i
    for i in $(seq 1 10000); do items+=("k$i=v$i"); done
    timeout -k 2 30 rbus-publish --dry-run h.many "${items[@]}" > "$TEST_TMP/o" 2> "$TEST_TMP/e" || die "10,000 items: $(head -c 300 "$TEST_TMP/e")"
    expect_eq "$(jq '.payload | length' "$TEST_TMP/o")" 10000 "10,000 keys"
    items=(); for i in $(seq 1 10000); do items+=("many.t$i"); done
    bg_ready M timeout -k 2 30 rbus-subscribe "${items[@]}" --count 1
    timeout -k 2 20 rbus-publish -q many.t9999 || die "publish"
    wait "$M_PID" || die "subscriber with 10,000 types: $(cat "$TEST_TMP/M.err")"
    expect_eq "$(jq -r .type "$TEST_TMP/M.out")" many.t9999 "10,000 subscriptions"
    items=(); for i in $(seq 1 10000); do items+=("--where" "payload.k$i=v"); done
    one_error 2 "" rbus-subscribe "${items[@]}" --format '{nope}' a.b
}

# The same garbage arriving on the bus: counted invalid, never a crash.
GARBAGE=$(cat <<'PY'
import redis, sys
r = redis.Redis(port=int(sys.argv[1]))
ch = "raptorflow.events.g.x"
msgs = [
    b"[" * 100000 + b"]" * 100000,
    b'{"type":"g.deep","payload":' + b"[" * 100000 + b"]" * 100000 + b"}",
    b'{"type":"g.big","payload":{"s":"' + b"x" * (2 * 1024 * 1024) + b'"}}',
    b'{"type":"g.utf8","payload":{"s":"\xff\xfe"}}',
    b'{"type":"g.nul\x00x","payload":{}}',
    b'{"type":"g.nul","payload":{"s":"a\x00b"}}',
    b'\x00\x01\x02', b'', b'not json', b'{"payload":{}}', b'{"type":""}', b'{"type":5}',
    b'[1,2,3]', b'"just a string"',
    b'{"type":"g.ctl\r\nFLUSHALL","payload":{}}',
    b'{"type":"g.num","payload":{"n":1e999}}',
    b'{"type":"g.sur","payload":{"s":"\\ud800"}}',
    b'{"type":"g.prio","priority":"urgent","payload":{}}',
    b'{"type":"g.ok","payload":{"fine":true}}',
]
for m in msgs:
    r.publish(ch, m)
PY
)
# 19 messages: 2 valid (g.big, g.ok), 17 invalid.
garbage() { /usr/bin/python3 -c "$GARBAGE" "$R_PORT"; }

bus_garbage_subscribe() {
    local rc
    bg_ready K timeout -k 2 30 rbus-subscribe --all --metrics --format '{type}' --idle 2s
    garbage || die "garbage"
    rc=0; wait "$K_PID" || rc=$?
    expect_code "$rc" 0 "--invalid skip"
    expect_eq "$(tr '\n' ' ' < "$TEST_TMP/K.out")" "g.big g.ok " "the valid ones printed"
    expect_eq "$(grep -c 'WARN bus - skipped invalid message on raptorflow.events.g.x: ' "$TEST_TMP/K.err")" 17 "one warning each"
    expect_eq "$(tail -1 "$TEST_TMP/K.err" | jq -c '[.received,.invalid]')" "[19,17]" "counted invalid"
    bg_ready E timeout -k 2 30 rbus-subscribe --all --invalid emit --idle 2s
    garbage || die "garbage"
    rc=0; wait "$E_PID" || rc=$?
    expect_code "$rc" 0 "--invalid emit"
    jq -c . "$TEST_TMP/E.out" > /dev/null || die "--invalid emit printed a line that is not JSON"
    expect_eq "$(jq -s 'map(select(.invalid == true)) | length' "$TEST_TMP/E.out")" 17 "17 invalid records"
    expect_eq "$(jq -s 'map(select(.invalid == true and (.error | length) > 0 and .channel == "raptorflow.events.g.x")) | length' "$TEST_TMP/E.out")" 17 "each with channel and error"
    bg_ready F timeout -k 2 30 rbus-subscribe --all --invalid fail
    garbage || die "garbage"
    rc=0; wait "$F_PID" || rc=$?
    expect_code "$rc" 5 "--invalid fail"
    expect_eq "$(grep -c '' "$TEST_TMP/F.err")" 1 "one line on stderr"
    expect_match "$(cat "$TEST_TMP/F.err")" "^rbus-subscribe: error: invalid message on raptorflow.events.g.x: nesting too deep" "error line"
    canary_alive
}

bus_garbage_tail_and_stats() {
    local rc st
    bg_ready T timeout -k 2 30 rbus-tail --idle 2s
    garbage || die "garbage"
    rc=0; wait "$T_PID" || rc=$?
    expect_code "$rc" 0 "rbus-tail"
    expect_eq "$(grep -c '' "$TEST_TMP/T.out")" 2 "two lines"
    expect_eq "$(grep -c 'skipped invalid message' "$TEST_TMP/T.err")" 17 "17 warnings"
    timeout -k 2 30 rbus-stats --duration 4s --json > "$TEST_TMP/st.out" 2> "$TEST_TMP/st.err" &
    st=$!; track "$st"
    wait_until 10 has_patterns "$R_PORT" 1 || die "rbus-stats did not subscribe"
    garbage || die "garbage"
    rc=0; wait "$st" || rc=$?
    expect_code "$rc" 0 "rbus-stats"
    expect_eq "$(jq -c '[.traffic.events, .traffic.invalid]' "$TEST_TMP/st.out")" "[2,17]" "events and invalid counted"
    canary_alive
}

case_ "100,000-deep JSON: @file, stdin, :=@file, --stdin, --envelopes; 60,000 as an argument" deep_nesting
case_ "2 MiB payload: exit 2 over --max-bytes; delivered whole under a larger limit" two_mib_payload
case_ "invalid UTF-8 and NUL bytes: @file, --stdin, items, types" invalid_utf8_and_nul
case_ "control characters in types: exit 2, escaped in the error" control_characters_in_types
case_ "a template with an unknown field: exit 2" template_unknown_field
case_ "URLs with unknown schemes or control characters: exit 2" url_unknown_scheme
case_ "CRLF injection in types, prefixes, patterns, ids, passwords, users" crlf_injection
case_ "10,000 items, types and filters on argv" ten_thousand_argv_items
case_ "garbage on the bus: rbus-subscribe --invalid skip|emit|fail" bus_garbage_subscribe
case_ "garbage on the bus: rbus-tail and rbus-stats count it invalid" bus_garbage_tail_and_stats
