#!/usr/bin/env bash
# A hostile bus or server: sizes (--max-bytes, length headers), NUL bytes,
# envelopes published again, --exec handlers that outlive their run, security
# warnings at -q, and credentials that follow a cluster's topology.
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1
export REDIS_URL=$R_URL
FAKE=$(dirname "$0")/fake_resp_server.py

# fake_server NAME MODE [ARG]: sets ${NAME}_PORT.
fake_server() {
    local name=$1; shift
    /usr/bin/python3 "$FAKE" "$TEST_TMP/$name.port" "$@" &
    track $!
    wait_until 10 test -s "$TEST_TMP/$name.port" || die "the fake server did not start"
    printf -v "${name}_PORT" '%s' "$(cat "$TEST_TMP/$name.port")"
}

big_message() { /usr/bin/python3 -c "import sys; sys.stdout.write('{\"type\":\"a.big\",\"payload\":{\"s\":\"' + 'x'*int(sys.argv[1]) + '\"}}')" "$1"; }

reader_max_bytes() {
    big_message 2000000 > "$TEST_TMP/big.json"
    bg_ready S timeout -k 2 20 rbus-subscribe a.big --max-bytes 1000000 --idle 3s
    bg_ready W timeout -k 2 20 rbus-subscribe a.big --max-bytes 1000000 --format raw --idle 3s
    redis-cli -p "$R_PORT" -x publish raptorflow.events.a.big < "$TEST_TMP/big.json" > /dev/null
    wait "$S_PID" || die "subscriber"
    expect_eq "$(cat "$TEST_TMP/S.out")" "" "not printed as an event"
    grep -q "skipped invalid message on raptorflow.events.a.big: message is $(stat -c %s "$TEST_TMP/big.json") bytes, more than --max-bytes 1000000" \
        "$TEST_TMP/S.err" || die "not reported with its size: $(cat "$TEST_TMP/S.err")"
    wait "$W_PID" || die "raw subscriber"
    cmp -s <(head -c "$(stat -c %s "$TEST_TMP/big.json")" "$TEST_TMP/W.out") "$TEST_TMP/big.json" || die "--format raw did not print it as received"
}

max_bytes_and_count_flags() {
    local t arg
    for t in rbus-subscribe rbus-tail rbus-stats rbus-publish; do
        arg=a.b; [ "$t" = rbus-stats ] && arg=--json
        rc=0; "$t" --max-bytes 0 $arg > /dev/null 2> "$TEST_TMP/e" < /dev/null || rc=$?
        expect_code "$rc" 2 "$t --max-bytes 0"
        expect_match "$(cat "$TEST_TMP/e")" "^$t: error: invalid --max-bytes \"0\"" "$t --max-bytes 0 error"
        rc=0; "$t" --max-bytes=-5 $arg > /dev/null 2> "$TEST_TMP/e" < /dev/null || rc=$?
        expect_code "$rc" 2 "$t --max-bytes -5"
        expect_match "$(cat "$TEST_TMP/e")" "^$t: error: invalid --max-bytes \"-5\"" "$t --max-bytes -5 error"
    done
    for t in rbus-subscribe rbus-tail rbus-publish; do
        rc=0; "$t" --count 9223372036854775808 a.b > /dev/null 2> "$TEST_TMP/e" < /dev/null || rc=$?
        expect_code "$rc" 2 "$t --count 2^63"
        expect_match "$(cat "$TEST_TMP/e")" "^$t: error: invalid --count \"9223372036854775808\"" "$t --count error"
    done
}

server_reply_bounded() {
    fake_server F huge-reply
    rc=0; timeout -k 2 60 rbus-stats --duration 0 -u "redis://127.0.0.1:$F_PORT" > /dev/null 2> "$TEST_TMP/e" || rc=$?
    expect_code "$rc" 3 "a \$9999999999 reply ($(cat "$TEST_TMP/e"))"
    expect_match "$(cat "$TEST_TMP/e")" "^rbus-stats: error: .*larger than [0-9]+ bytes" "the error line"
    fake_server M huge-message
    rc=0; timeout -k 2 60 rbus-subscribe --no-reconnect a.b -u "redis://127.0.0.1:$M_PORT" > /dev/null 2> "$TEST_TMP/e" || rc=$?
    expect_code "$rc" 3 "a \$9999999999 message ($(cat "$TEST_TMP/e"))"
    expect_match "$(tail -1 "$TEST_TMP/e")" "^rbus-subscribe: error: .*larger than [0-9]+ bytes" "the error line"
}

stdin_line_past_max_bytes() {
    { big_message 5000000; echo; echo '{"ok":1}'; } > "$TEST_TMP/lines"
    rc=0; timeout -k 2 60 rbus-publish --dry-run --stdin --max-bytes 100000 a.b < "$TEST_TMP/lines" > "$TEST_TMP/o" 2> "$TEST_TMP/e" || rc=$?
    expect_code "$rc" 1 "one line invalid"
    grep -q "line 1: line is $(head -1 "$TEST_TMP/lines" | tr -d '\n' | wc -c) bytes, more than --max-bytes 100000" "$TEST_TMP/e" || die "not reported: $(head -c 500 "$TEST_TMP/e")"
    expect_eq "$(jq -c .payload "$TEST_TMP/o")" '{"ok":1}' "the next line still published"
}

nul_bytes_are_invalid() {
    printf '{"a":"x"} \0 junk' > "$TEST_TMP/nul.json"
    rc=0; rbus-publish --dry-run a.b "@$TEST_TMP/nul.json" > /dev/null 2> "$TEST_TMP/e" || rc=$?
    expect_code "$rc" 2 "@file with a NUL"
    expect_match "$(cat "$TEST_TMP/e")" "NUL byte" "the error names the NUL"
    printf '{"a":"x"} \0 junk\n' | { rc=0; rbus-publish --dry-run --stdin a.b > /dev/null 2>&1 || rc=$?; expect_code "$rc" 1 "--stdin line with a NUL"; }
    printf '{"type":"a.b","payload":{}} \0 junk\n' | { rc=0; rbus-publish --dry-run --envelopes > /dev/null 2>&1 || rc=$?; expect_code "$rc" 1 "--envelopes line with a NUL"; }
    bg_ready S timeout -k 2 20 rbus-subscribe a.b --idle 2s
    printf '{"type":"a.b","payload":{}}\0junk' | redis-cli -p "$R_PORT" -x publish raptorflow.events.a.b > /dev/null
    wait "$S_PID" || die "subscriber"
    expect_eq "$(cat "$TEST_TMP/S.out")" "" "not an event"
    grep -q "skipped invalid message.*a NUL byte" "$TEST_TMP/S.err" || die "read side: $(cat "$TEST_TMP/S.err")"
}

envelopes_validated_once() {
    local long; long=$(printf 'i%.0s' $(seq 100000))
    {
        echo '{"id":"\u0000","type":"a.b","payload":{}}'
        echo '{"id":"a\u001b[2J","type":"a.b","payload":{}}'
        echo "{\"id\":\"$long\",\"type\":\"a.b\",\"payload\":{}}"
        echo '{"type":"a.b","payload":{},"timestamp":"not-a-time"}'
        echo '{"type":"a.b","payload":{},"workspace_id":"w\u0000s"}'
        echo '{"type":"a.b\u0085","payload":{}}'
        echo '{"type":"heartbeat","payload":{},"source_agent_id":"agent-1"}'
    } > "$TEST_TMP/env.ndjson"
    rc=0; rbus-publish --dry-run --envelopes "$TEST_TMP/env.ndjson" > "$TEST_TMP/o" 2> "$TEST_TMP/e" || rc=$?
    expect_code "$rc" 1 "invalid envelopes"
    grep -q "dry run: valid 1, invalid 6" "$TEST_TMP/e" || die "summary: $(cat "$TEST_TMP/e")"
    expect_eq "$(jq -r .type "$TEST_TMP/o")" heartbeat "a one-word type is read as readers read it"
}

exec_env_keeps_nul() {
    bg_ready S timeout -k 2 20 rbus-subscribe a.b --count 1 --exec 'printf %s "$RBUS_WORKSPACE_ID" > '"$TEST_TMP/ws"
    redis-cli -p "$R_PORT" publish raptorflow.events.a.b '{"type":"a.b","workspace_id":"ws\u0000tail\nx"}' > /dev/null
    wait "$S_PID" || die "subscriber"
    expect_eq "$(cat "$TEST_TMP/ws")" 'ws\u0000tail\nx' "RBUS_WORKSPACE_ID whole, escaped"
}

# group_gone PGID: no process left in the group.
group_gone() { ! pgrep -g "$1" > /dev/null; }

exec_group_ends_with_the_run() {
    local pgid rc
    bg_ready S timeout -k 2 40 rbus-subscribe a.b --timeout 3s --exec "echo \$\$ > $TEST_TMP/pgid; sleep 60"
    redis-cli -p "$R_PORT" publish raptorflow.events.a.b '{"type":"a.b"}' > /dev/null
    rc=0; wait "$S_PID" || rc=$?
    expect_code "$rc" 0 "ended at --timeout, not after the handler's sleep ($(cat "$TEST_TMP/S.err"))"
    pgid=$(cat "$TEST_TMP/pgid")
    wait_until 5 group_gone "$pgid" || die "the handler's process group outlived the run: $(pgrep -g "$pgid" -a)"
    # --exec-timeout: the handler is ended and counted as failed.
    bg_ready T timeout -k 2 40 rbus-subscribe a.b --count 1 --metrics --exec-timeout 1s --exec "echo \$\$ > $TEST_TMP/pgid2; sleep 60"
    redis-cli -p "$R_PORT" publish raptorflow.events.a.b '{"type":"a.b"}' > /dev/null
    rc=0; wait "$T_PID" || rc=$?
    expect_code "$rc" 0 "--exec-timeout ($(cat "$TEST_TMP/T.err"))"
    grep -q 'handler failed (timed out' "$TEST_TMP/T.err" || die "not reported: $(cat "$TEST_TMP/T.err")"
    expect_eq "$(tail -1 "$TEST_TMP/T.err" | jq .failed)" 1 "counted as failed"
    wait_until 5 group_gone "$(cat "$TEST_TMP/pgid2")" || die "the timed-out handler's group survived"
}

# group_state PGID: the process states of the group's members, e.g. "S S" or "T T".
group_state() { ps -e -o pgid= -o stat= | awk -v g="$1" '$1 == g { printf "%s ", substr($2, 1, 1) }'; }
group_stopped() { [ -n "$(group_state "$1")" ] && ! group_state "$1" | grep -q '[^T ]'; }
group_running() { [ -n "$(group_state "$1")" ] && ! group_state "$1" | grep -q 'T'; }

exec_stops_and_continues_with_rbus() {
    local pgid rc
    bg_ready S rbus-subscribe a.tstp --exec "echo \$\$ > $TEST_TMP/tpgid; sleep 30"
    redis-cli -p "$R_PORT" publish raptorflow.events.a.tstp '{"type":"a.tstp"}' > /dev/null
    wait_until 10 test -s "$TEST_TMP/tpgid" || die "the handler did not start"
    pgid=$(cat "$TEST_TMP/tpgid")
    wait_until 10 group_running "$pgid" || die "the handler's group: $(group_state "$pgid")"
    kill -TSTP "$S_PID"  # Ctrl-Z reaches rbus's own group only
    wait_until 10 group_stopped "$pgid" || die "the handler did not stop with rbus: $(group_state "$pgid")"
    kill -CONT "$S_PID"
    wait_until 10 group_running "$pgid" || die "the handler did not continue with rbus: $(group_state "$pgid")"
    kill -TERM "$S_PID"
    rc=0; wait "$S_PID" || rc=$?
    expect_code "$rc" 143 "SIGTERM while a handler runs"
    wait_until 5 group_gone "$pgid" || die "the handler's group outlived SIGTERM"
}

security_warnings_at_q() {
    rbus-publish -q --dry-run -u "redis://:s3cret@127.0.0.1:$R_PORT" a.b > /dev/null 2> "$TEST_TMP/e"
    grep -q "password in --url is visible" "$TEST_TMP/e" || die "-q hid the password warning"
    ! grep -q s3cret "$TEST_TMP/e" || die "the password was printed"
    rbus-publish -q --no-auth-warning --dry-run -u "redis://:s3cret@127.0.0.1:$R_PORT" a.b > /dev/null 2> "$TEST_TMP/e"
    expect_eq "$(cat "$TEST_TMP/e")" "" "--no-auth-warning"
    echo s3cret > "$TEST_TMP/pw"; chmod 644 "$TEST_TMP/pw"
    rbus-publish -q --dry-run --password-file "$TEST_TMP/pw" a.b > /dev/null 2> "$TEST_TMP/e"
    grep -q "password file $TEST_TMP/pw can be read by other users (mode 0644)" "$TEST_TMP/e" || die "no warning for a 0644 password file: $(cat "$TEST_TMP/e")"
    chmod 600 "$TEST_TMP/pw"
    rbus-publish -q --dry-run --password-file "$TEST_TMP/pw" a.b > /dev/null 2> "$TEST_TMP/e"
    expect_eq "$(cat "$TEST_TMP/e")" "" "a 0600 password file"
    printf 'prefix = "raptorflow.events"\n' > "$TEST_TMP/c.toml"; chmod 666 "$TEST_TMP/c.toml"
    rbus-publish -q --dry-run --config "$TEST_TMP/c.toml" a.b > /dev/null 2> "$TEST_TMP/e"
    grep -q "config file $TEST_TMP/c.toml can be changed by other users" "$TEST_TMP/e" || die "no warning for a 0666 config"
}

cluster_hosts_allow_list() {
    fake_server C cluster 10.255.255.1:7000
    rc=0; timeout -k 2 30 rbus-publish --sharded -u "redis://127.0.0.1:$C_PORT" --cluster-hosts 127.0.0.0/8 a.b x=1 \
        > /dev/null 2> "$TEST_TMP/e" || rc=$?
    expect_code "$rc" 3 "a node outside --cluster-hosts ($(cat "$TEST_TMP/e"))"
    expect_match "$(cat "$TEST_TMP/e")" "^rbus-publish: error: refusing to send credentials to 10.255.255.1:7000 \(named by the cluster's topology\): not in --cluster-hosts 127.0.0.0/8" "the refusal"
    rc=0; rbus-publish --cluster-hosts '10.0.0.0/33' --dry-run a.b > /dev/null 2> "$TEST_TMP/e" || rc=$?
    expect_code "$rc" 2 "a bad --cluster-hosts"
    # -v names each node the topology brought in.
    rc=0; timeout -k 2 30 rbus-publish -v --sharded --connect-timeout 1s -u "redis://127.0.0.1:$C_PORT" a.b x=1 \
        > /dev/null 2> "$TEST_TMP/e" || rc=$?
    grep -q "10.255.255.1:7000 named by the cluster's topology: connecting there with the URL's credentials" "$TEST_TMP/e" \
        || die "no -v line for the new node: $(cat "$TEST_TMP/e")"
}

case_ "--max-bytes on readers: a larger message is invalid with its size; --format raw prints it" reader_max_bytes
case_ "--max-bytes 0 or negative, --count past 2^63: usage errors" max_bytes_and_count_flags
case_ "a server's \$9999999999: refused before it is buffered (exit 3)" server_reply_bounded
case_ "--stdin: a line past --max-bytes is reported with its size, the next one published" stdin_line_past_max_bytes
case_ "a NUL byte makes JSON invalid: @file, --stdin, --envelopes, the read side" nul_bytes_are_invalid
case_ "--envelopes: one validation (controls, lengths, timestamps); any non-empty type" envelopes_validated_once
case_ "--exec: RBUS_* variables are not cut at a NUL" exec_env_keeps_nul
case_ "--exec: the handler's process group ends at --timeout and --exec-timeout" exec_group_ends_with_the_run
case_ "--exec: Ctrl-Z (SIGTSTP) and SIGCONT reach the handler's group; SIGTERM ends it" exec_stops_and_continues_with_rbus
case_ "security warnings survive -q; --no-auth-warning; file modes" security_warnings_at_q
case_ "--cluster-hosts refuses to send credentials elsewhere; -v names new nodes" cluster_hosts_allow_list
