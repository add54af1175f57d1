#!/usr/bin/env bash
# rbus-publish as a new user meets it: stdin piped but not asked for, Ctrl-C
# while reading stdin, input errors that say where, publishing to nobody,
# and a long --count repeat that stays small and stops at once.
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1
export REDIS_URL=$R_URL

# The exit code and stderr of one command; stdout in $TEST_TMP/o.
run() {
    RC=0
    "$@" > "$TEST_TMP/o" 2> "$TEST_TMP/e" || RC=$?
    ERR=$(cat "$TEST_TMP/e")
}

piped_stdin_is_not_ignored_silently() {
    # The producer has written and exited before rbus-publish starts: the
    # data is waiting in the pipe, deterministically.
    exec 3< <(printf '{"a":1}\n')
    wait $! 2>/dev/null
    run rbus-publish agent.t <&3
    exec 3<&-
    expect_code "$RC" 0 "still publishes {}"
    expect_eq "$(jq -c .payload "$TEST_TMP/o")" "{}" "payload"
    expect_eq "$ERR" "WARN bus - stdin ignored: pass - to publish it as the payload (or --stdin for one payload per line)" \
        "one warning"
    # With '-' it is read; without data waiting, nothing is said.
    run rbus-publish agent.t - <<< '{"a":1}'
    expect_eq "$(jq -c .payload "$TEST_TMP/o")" '{"a":1}' "- reads it"
    expect_eq "$ERR" "" "no warning with -"
    run rbus-publish agent.t < /dev/null
    expect_eq "$ERR" "" "no warning for /dev/null"
}

ctrl_c_while_reading_stdin() {
    mkfifo "$TEST_TMP/fifo"
    rbus-publish agent.t - < "$TEST_TMP/fifo" > "$TEST_TMP/o" 2> "$TEST_TMP/e" &
    local pid=$! rc=0
    exec 4> "$TEST_TMP/fifo"  # the writer stays open: rbus-publish waits in read()
    printf '{"a":' >&4
    # Blocked in read(0, ...): syscall 0 on fd 0 (x86_64), the handlers long installed.
    wait_until 10 grep -q '^0 0x0 ' "/proc/$pid/syscall" || die "not reading stdin: $(cat "/proc/$pid/syscall")"
    kill -INT "$pid"
    wait "$pid" || rc=$?
    exec 4>&-
    expect_code "$rc" 130 "Ctrl-C while reading stdin"
    expect_no "$(cat "$TEST_TMP/e")" "invalid JSON" "not reported as bad input"
}

input_errors_that_help() {
    run rbus-publish --dry-run agent.t '{"a":1,}'
    expect_code "$RC" 2 "bad JSON"
    expect_match "$ERR" '^rbus-publish: error: payload: invalid JSON at byte 8: ' "byte position"
    run rbus-publish --dry-run agent.t @/etc
    expect_code "$RC" 2 "@/etc"
    expect_eq "$ERR" "rbus-publish: error: cannot read file /etc: Is a directory" "a directory"
    run rbus-publish --dry-run agent.t @"$TEST_TMP/missing.json"
    expect_code "$RC" 2 "@missing"
    expect_eq "$ERR" "rbus-publish: error: cannot read file $TEST_TMP/missing.json: No such file or directory" "OS reason"
    run rbus-publish --dry-run agent.t '{"a":1}' b=2
    expect_code "$RC" 2 "item after JSON"
    expect_match "$ERR" '^rbus-publish: error: misplaced "b=2" after the payload "\{"a":1\}"' "names the misplaced item"
    # --stdin: blank lines skipped; a pretty-printed document named as such.
    printf '{"n":1}\n\n   \n{"n":2}\n' > "$TEST_TMP/blank.in"
    run rbus-publish --dry-run agent.t --stdin < "$TEST_TMP/blank.in"
    expect_code "$RC" 0 "blank lines are not invalid"
    expect_eq "$(grep -c '' "$TEST_TMP/o")" 2 "two events"
    expect_eq "$ERR" "dry run: valid 2, invalid 0 (2 blank lines skipped)" "summary"
    printf '{\n  "n": 1\n}\n' > "$TEST_TMP/pretty.in"
    run rbus-publish agent.t --stdin < "$TEST_TMP/pretty.in"
    expect_code "$RC" 2 "pretty-printed"
    expect_eq "$ERR" "rbus-publish: error: line 1: a JSON document over several lines: --stdin reads one JSON object per line (make them compact with jq -c)" \
        "pretty-printed document"
}

nobody_listening_is_said_on_a_terminal() {
    # script(1) gives rbus-publish a terminal.
    script -qec "$BIN/rbus-publish -u $R_URL agent.task_stared a=1" /dev/null > "$TEST_TMP/pty" 2>&1
    expect_match "$(cat "$TEST_TMP/pty")" "rbus-publish: note: no subscriber received it on raptorflow.events.agent.task_stared" \
        "note on a terminal"
    # Scripts: nothing said, exit 0, unless --min-receivers.
    run rbus-publish agent.task_stared a=1
    expect_code "$RC" 0 "exit 0"
    expect_eq "$ERR" "" "no note off a terminal"
    run rbus-publish --min-receivers 1 agent.task_stared a=1
    expect_code "$RC" 4 "--min-receivers"
}

nobody_on_a_cluster_node() {
    start_redis C --cluster-enabled yes --cluster-config-file "$TEST_TMP/c-nodes.conf" || die "cluster node"
    script -qec "$BIN/rbus-publish -u $C_URL agent.x" /dev/null > "$TEST_TMP/pty" 2>&1
    expect_match "$(cat "$TEST_TMP/pty")" "no subscriber received it on raptorflow.events.agent.x on this node" "on this node"
    run rbus-publish -u "$C_URL" --min-receivers 1 agent.x
    expect_code "$RC" 4 "--min-receivers on a cluster node"
    expect_match "$ERR" "fewer than --min-receivers 1 on this node" "says on this node"
}

long_repeat_stays_small() {
    # Peak RSS of a short and a long --count run: the long one must not grow with N.
    local small big
    # Under AddressSanitizer (scripts/test-sanitize) freed memory waits in a
    # 256 MiB quarantine: turn it off here, so RSS shows what the tool keeps.
    [ -n "${ASAN_OPTIONS:-}" ] && export ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
    small=$(python3 -c 'import resource,subprocess,sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$BIN/rbus-publish" --dry-run --count 1000 agent.rep 'n={{seq}}')
    big=$(python3 -c 'import resource,subprocess,sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$BIN/rbus-publish" --dry-run --count 400000 agent.rep 'n={{seq}}')
    [ $((big - small)) -lt 8000 ] || die "peak RSS grew from ${small} KiB to ${big} KiB with --count"
    # SIGTERM ends a long repeat at once, with 143.
    rbus-publish --count 100000000 agent.rep > "$TEST_TMP/rep.out" 2> "$TEST_TMP/rep.err" &
    local pid=$! rc=0
    wait_until 10 test -s "$TEST_TMP/rep.out" || die "not publishing"
    kill -TERM "$pid"
    wait_until 10 sh -c "! kill -0 $pid" || die "still running after SIGTERM"
    wait "$pid" || rc=$?
    expect_code "$rc" 143 "SIGTERM"
}

case_ "stdin piped but not asked for: one warning" piped_stdin_is_not_ignored_silently
case_ "Ctrl-C while reading stdin exits 130" ctrl_c_while_reading_stdin
case_ "input errors say where and why" input_errors_that_help
case_ "publishing to nobody: a note on a terminal" nobody_listening_is_said_on_a_terminal
case_ "a cluster node counts its own subscribers" nobody_on_a_cluster_node
case_ "--count N: memory flat, SIGTERM at once" long_repeat_stays_small
