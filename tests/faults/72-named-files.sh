#!/usr/bin/env bash
# Files named by flags (--ready-file, --record, --dead-letter, --config,
# --password-file): a stale or linked ready file, FIFOs without their other end,
# signals during such a wait; FIFOs, /dev/stderr, process substitution and
# symlinked secrets keep working.
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1
export REDIS_URL=$R_URL

stale_ready_file_removed_then_created_atomically() {
    local ready=$TEST_TMP/r.ready
    echo stale > "$ready"
    # Holds the subscription back (a paused server): the stale file must be gone at once.
    redis-cli -p "$R_PORT" client pause 3000 all > /dev/null
    timeout -k 2 20 rbus-subscribe agent.r --count 1 --ready-file "$ready" > "$TEST_TMP/o" 2> "$TEST_TMP/e" &
    local s=$!; track "$s"
    wait_until 5 test ! -e "$ready" || die "the stale ready file was not removed at start"
    wait_until 10 test -e "$ready" || die "no ready file: $(cat "$TEST_TMP/e")"
    expect_eq "$(stat -c %s "$ready")" 0 "a new, empty ready file"
    redis-cli -p "$R_PORT" publish raptorflow.events.agent.r '{"type":"agent.r"}' > /dev/null
    wait "$s" || die "subscriber: $(cat "$TEST_TMP/e")"
    test -e "$ready" || die "the ready file was removed at exit (a fast --count 1 run races the waiting script)"
    [ -z "$(ls -A "$TEST_TMP" | grep '^\.rbus-ready')" ] || die "a temporary file was left"
}

ready_file_never_written_through_a_symlink() {
    echo precious > "$TEST_TMP/target"
    ln -s "$TEST_TMP/target" "$TEST_TMP/l.ready"
    timeout -k 2 20 rbus-subscribe agent.l --timeout 1s --ready-file "$TEST_TMP/l.ready" > /dev/null 2>&1
    expect_eq "$(cat "$TEST_TMP/target")" precious "the link's target untouched"
    [ ! -L "$TEST_TMP/l.ready" ] && [ -f "$TEST_TMP/l.ready" ] || die "the link was not replaced by a file"
    # A FIFO at the path is replaced too: nothing waits for a reader.
    mkfifo "$TEST_TMP/f.ready"
    rc=0; timeout -k 2 20 rbus-subscribe agent.l --timeout 1s --ready-file "$TEST_TMP/f.ready" > /dev/null 2> "$TEST_TMP/e" || rc=$?
    expect_code "$rc" 0 "a FIFO at --ready-file ($(cat "$TEST_TMP/e"))"
    [ -f "$TEST_TMP/f.ready" ] && [ ! -p "$TEST_TMP/f.ready" ] || die "the FIFO was not replaced by a file"
}

fifo_waits_end_at_the_deadline() {
    local f rc start
    for f in ready record; do mkfifo "$TEST_TMP/$f.fifo"; done
    # --record to a FIFO nobody reads: the wait ends with --timeout (124), not never.
    rc=0; timeout -k 2 30 rbus-tail --timeout 2s --record "$TEST_TMP/record.fifo" > /dev/null 2> "$TEST_TMP/e" || rc=$?
    expect_code "$rc" 124 "--record FIFO past --timeout ($(cat "$TEST_TMP/e"))"
    expect_match "$(cat "$TEST_TMP/e")" "^rbus-tail: error: timed out waiting for record file" "the error line"
    mkfifo "$TEST_TMP/pw.fifo" "$TEST_TMP/cfg.fifo" "$TEST_TMP/dl.fifo"
    rc=0; timeout -k 2 30 rbus-subscribe --timeout 2s --password-file "$TEST_TMP/pw.fifo" a.b > /dev/null 2> "$TEST_TMP/e" || rc=$?
    expect_code "$rc" 124 "--password-file FIFO past --timeout ($(cat "$TEST_TMP/e"))"
    rc=0; timeout -k 2 30 rbus-subscribe --timeout 2s --config "$TEST_TMP/cfg.fifo" a.b > /dev/null 2> "$TEST_TMP/e" || rc=$?
    expect_code "$rc" 124 "--config FIFO past --timeout ($(cat "$TEST_TMP/e"))"
}

# holds_open PID PATH: true once the process has PATH open (it is waiting on it).
holds_open() { ls -l "/proc/$1/fd" 2>/dev/null | grep -qF -- "$2"; }

fifo_wait_ends_with_a_signal() {
    local sig code p rc
    mkfifo "$TEST_TMP/pw.fifo" "$TEST_TMP/cfg.fifo"
    for sig in TERM INT; do
        code=$([ "$sig" = TERM ] && echo 143 || echo 130)
        rbus-stats --check --password-file "$TEST_TMP/pw.fifo" > /dev/null 2> "$TEST_TMP/e" &
        p=$!; track "$p"
        wait_until 10 holds_open "$p" pw.fifo || die "rbus-stats does not wait on the FIFO"
        kill -$sig "$p"
        rc=0; wait "$p" || rc=$?
        expect_code "$rc" "$code" "SIG$sig during the --password-file FIFO wait ($(cat "$TEST_TMP/e"))"
        expect_eq "$(cat "$TEST_TMP/e")" "" "no error line for a signal"
        rbus-subscribe --config "$TEST_TMP/cfg.fifo" a.b > /dev/null 2> "$TEST_TMP/e" &
        p=$!; track "$p"
        wait_until 10 holds_open "$p" cfg.fifo || die "rbus-subscribe does not wait on the FIFO"
        kill -$sig "$p"
        rc=0; wait "$p" || rc=$?
        expect_code "$rc" "$code" "SIG$sig during the --config FIFO wait ($(cat "$TEST_TMP/e"))"
    done
}

fifos_pipes_and_links_keep_working() {
    # A FIFO with its other end: record through it, and a password through process substitution.
    mkfifo "$TEST_TMP/rec.fifo"
    cat "$TEST_TMP/rec.fifo" > "$TEST_TMP/rec.out" &
    track $!
    bg_ready T timeout -k 2 20 rbus-tail --count 1 --record "$TEST_TMP/rec.fifo"
    redis-cli -p "$R_PORT" publish raptorflow.events.agent.f '{"type":"agent.f"}' > /dev/null
    wait "$T_PID" || die "tail with a FIFO record"
    wait_until 5 grep -q agent.f "$TEST_TMP/rec.out" || die "nothing came through the FIFO"
    # --record >(…) and /dev/stderr.
    bg_ready T2 timeout -k 2 20 rbus-tail --count 1 --record >(cat > "$TEST_TMP/ps.out")
    redis-cli -p "$R_PORT" publish raptorflow.events.agent.f '{"type":"agent.f"}' > /dev/null
    wait "$T2_PID" || die "tail with --record >(...)"
    wait_until 5 grep -q agent.f "$TEST_TMP/ps.out" || die "nothing through >(...)"
    timeout -k 2 20 rbus-publish --stdin --dead-letter /dev/stderr agent.x <<< 'not json' > /dev/null 2>> "$TEST_TMP/dl.err"
    grep -q '"reason"' "$TEST_TMP/dl.err" || die "--dead-letter /dev/stderr: $(cat "$TEST_TMP/dl.err")"
    # A symlinked secret (as Kubernetes mounts them) and a process substitution.
    start_redis P --requirepass s3cret || die "redis with a password"
    echo s3cret > "$TEST_TMP/secret"
    ln -s "$TEST_TMP/secret" "$TEST_TMP/secret.link"
    timeout -k 2 20 rbus-stats --check -u "$P_URL" --password-file "$TEST_TMP/secret.link" > /dev/null || die "symlinked password file"
    timeout -k 2 20 rbus-stats --check -u "$P_URL" --password-file <(echo s3cret) > /dev/null || die "password from <(...)"
}

case_ "--ready-file: a stale one removed at start, the new one whole, kept after exit" stale_ready_file_removed_then_created_atomically
case_ "--ready-file: a symlink is replaced, its target never written" ready_file_never_written_through_a_symlink
case_ "FIFOs without their other end: --record, --password-file, --config end at --timeout (124)" fifo_waits_end_at_the_deadline
case_ "SIGTERM/SIGINT during a FIFO wait: 143/130" fifo_wait_ends_with_a_signal
case_ "FIFOs, >(...), <(...), /dev/stderr and symlinked secrets keep working" fifos_pipes_and_links_keep_working
