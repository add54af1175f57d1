#!/usr/bin/env bash
# Faults: SIGINT/SIGTERM at random points, a reader that stopped reading, SIGPIPE.
# Every tool run is bounded by `timeout`; a core dump or a hang fails the case.
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1
export REDIS_URL=$R_URL

# A steady stream of envelopes on raptorflow.events.flood.* until the case ends.
flood() {
    /usr/bin/python3 - "$R_PORT" "$1" <<'PY' &
import redis, sys, json
r = redis.Redis(port=int(sys.argv[1]))
pad = "x" * int(sys.argv[2])
i = 0
while True:
    p = r.pipeline(transaction=False)
    for _ in range(200):
        i += 1
        p.publish("raptorflow.events.flood.tick", json.dumps({"type": "flood.tick", "payload": {"i": i, "pad": pad}}, separators=(",", ":")))
    p.execute()
PY
    track $!
}

# Every line of FILE is a whole JSON document and the file ends with a newline.
whole_json_lines() {
    local f=$1
    [ -s "$f" ] || return 0
    [ "$(tail -c1 "$f" | od -An -c | tr -d ' ')" = '\n' ] || die "partial last line in $f"
    jq -c . "$f" > /dev/null 2>&1 || die "a line of $f is not JSON"
}

random_delay() { printf '0.%03d' $((RANDOM % 900 + 50)); }

signal_subscribe_mid_stream() {
    flood 200
    local sig rc i
    for i in 1 2 3 4; do
        if [ $((i % 2)) -eq 1 ]; then sig=INT; else sig=TERM; fi
        rm -f "$TEST_TMP/S.ready"
        bg_ready S timeout -k 2 20 rbus-subscribe 'flood.*' --metrics
        sleep "$(random_delay)"
        # The signal goes to rbus-subscribe itself, not to timeout.
        pkill -"$sig" -P "$S_PID" -x rbus-subscribe || die "no rbus-subscribe to signal"
        rc=0; wait "$S_PID" || rc=$?
        if [ "$sig" = INT ]; then expect_code "$rc" 130 "SIGINT #$i"; else expect_code "$rc" 143 "SIGTERM #$i"; fi
        whole_json_lines "$TEST_TMP/S.out"
        expect_match "$(tail -1 "$TEST_TMP/S.err")" '^\{"published":' "--metrics printed at exit #$i"
    done
}

signal_tail_and_stats() {
    flood 50
    local rc
    bg_ready T timeout -k 2 20 rbus-tail 'flood.*'
    sleep "$(random_delay)"
    pkill -INT -P "$T_PID" -x rbus-tail || die "no rbus-tail"
    rc=0; wait "$T_PID" || rc=$?
    expect_code "$rc" 130 "rbus-tail SIGINT"
    if [ -s "$TEST_TMP/T.out" ]; then
        [ "$(tail -c1 "$TEST_TMP/T.out" | od -An -c | tr -d ' ')" = '\n' ] || die "partial line from rbus-tail"
    fi
    timeout -k 2 20 rbus-stats --duration 10s --json > "$TEST_TMP/st.out" 2> "$TEST_TMP/st.err" &
    local st=$!
    track "$st"
    sleep "$(random_delay)"
    pkill -TERM -P "$st" -x rbus-stats || die "no rbus-stats"
    rc=0; wait "$st" || rc=$?
    expect_code "$rc" 143 "rbus-stats SIGTERM"
    whole_json_lines "$TEST_TMP/st.out"
}

signal_batch_publish() {
    local rc s published failed invalid n
    # Endless input: the signal always lands mid-batch.
    timeout -k 2 30 rbus-publish --stdin flood.batch --dead-letter "$TEST_TMP/b.dl" \
        < <(yes '{"i":1}') > "$TEST_TMP/b.out" 2> "$TEST_TMP/b.err" &
    local pub=$!
    track "$pub"
    wait_until 10 test -s "$TEST_TMP/b.out" || die "batch did not start"
    sleep "$(random_delay)"
    pkill -TERM -P "$pub" -x rbus-publish || die "no rbus-publish (finished too soon?)"
    rc=0; wait "$pub" || rc=$?
    expect_code "$rc" 143 "batch SIGTERM"
    whole_json_lines "$TEST_TMP/b.out"
    s=$(grep -a '^published [0-9]*, failed [0-9]*, invalid [0-9]*$' "$TEST_TMP/b.err" | tail -1)
    expect_match "$s" '^published [0-9]+, failed [0-9]+, invalid 0$' "summary after SIGTERM: $(cat "$TEST_TMP/b.err")"
    read -r published failed invalid <<< "$(sed 's/[^0-9 ]//g' <<< "$s")"
    n=$(grep -c '' "$TEST_TMP/b.out")
    expect_eq "$n" "$published" "stdout holds exactly the published events"
}

# A reader that stopped reading (a fifo held open, never read): SIGTERM still ends the tool.
signal_with_stalled_reader() {
    local fifo=$TEST_TMP/stall rc
    mkfifo "$fifo"
    sleep 60 < "$fifo" &
    local reader=$!
    track "$reader"
    bg_ready B timeout -k 2 30 rbus-subscribe 'flood.*'
    # bg_ready sent stdout to a file; run the stalled one by hand.
    rm -f "$TEST_TMP/F.ready"
    timeout -k 2 30 rbus-subscribe 'flood.*' --ready-file "$TEST_TMP/F.ready" > "$fifo" 2> "$TEST_TMP/F.err" &
    local sub=$!
    track "$sub"
    wait_until 10 test -e "$TEST_TMP/F.ready" || die "stalled subscriber not ready"
    flood 1000
    # Wait until the pipe is full and the subscriber is blocked writing to it.
    wait_until 15 eval '[ "$(grep -c "" "$TEST_TMP/B.out")" -ge 2000 ]' || die "flood did not arrive"
    pkill -TERM -P "$sub" -x rbus-subscribe || die "no stalled rbus-subscribe"
    local end=$((SECONDS + 8))
    while kill -0 "$sub" 2>/dev/null && [ "$SECONDS" -lt "$end" ]; do sleep 0.1; done
    kill -0 "$sub" 2>/dev/null && die "SIGTERM ignored while stdout is blocked (still running after 8s)"
    rc=0; wait "$sub" || rc=$?
    expect_code "$rc" 143 "exit code with a stalled reader"
    kill "$reader" 2>/dev/null
}

sigpipe_head_quietly() {
    ( timeout -k 2 20 rbus-tail 'flood.*' --ready-file "$TEST_TMP/H.ready" 2> "$TEST_TMP/H.err" | head -1 > "$TEST_TMP/H.line"
      echo "${PIPESTATUS[0]}" > "$TEST_TMP/H.rc" ) &
    wait_until 10 test -e "$TEST_TMP/H.ready" || die "rbus-tail not ready: $(cat "$TEST_TMP/H.err")"
    flood 10
    wait_until 15 test -s "$TEST_TMP/H.rc" || die "rbus-tail | head -1 did not end"
    expect_eq "$(cat "$TEST_TMP/H.rc")" 0 "rbus-tail exit code"
    expect_eq "$(grep -c '' "$TEST_TMP/H.line")" 1 "one line"
    expect_eq "$(cat "$TEST_TMP/H.err")" "" "quiet stderr"
}

# rbus-publish's stdout only echoes: a closed stdout must not stop the batch.
publish_into_head_publishes_everything() {
    local rc s
    redis-cli -p "$R_PORT" subscribe raptorflow.events.piped.batch raptorflow.events.piped.repeat > "$TEST_TMP/p.sub" &
    track $!
    wait_until 10 has_subscribers "$R_PORT" raptorflow.events.piped.repeat 1 || die "redis-cli did not subscribe"
    seq 1 20000 | sed 's/.*/{"i":&}/' | timeout -k 2 60 rbus-publish --stdin piped.batch 2> "$TEST_TMP/p.err" | head -1 > "$TEST_TMP/p.line"
    rc=${PIPESTATUS[2]}
    expect_code "$rc" 0 "--stdin | head -1"
    expect_eq "$(grep -c '' "$TEST_TMP/p.line")" 1 "head got a line"
    expect_eq "$(grep -a '^published' "$TEST_TMP/p.err")" "published 20000, failed 0, invalid 0" "every line published"
    wait_until 15 eval '[ "$(grep -c "^{\"id\"" "$TEST_TMP/p.sub")" -ge 20000 ]' ||
        die "independent subscriber saw $(grep -c '^{"id"' "$TEST_TMP/p.sub") of 20000"
    timeout -k 2 60 rbus-publish --count 3000 piped.repeat 'n={{seq}}' 2> "$TEST_TMP/r.err" | head -1 > /dev/null
    expect_code "${PIPESTATUS[0]}" 0 "--count | head -1"
    expect_eq "$(cat "$TEST_TMP/r.err")" "" "quiet stderr"
    wait_until 15 eval '[ "$(grep -c "^{\"id\"" "$TEST_TMP/p.sub")" -ge 23000 ]' || die "--count stopped early"
}

# SIGTERM (a service manager's stop) while an --exec handler hangs: the
# handler gets SIGTERM too, and rbus-subscribe exits 143 at once.
sigterm_during_a_hanging_handler() {
    local rc start
    bg_ready X timeout -k 2 30 rbus-subscribe --exec "echo started > $TEST_TMP/handler; exec sleep 60" exec.hang
    rbus-publish -q exec.hang || die "publish"
    wait_until 10 test -s "$TEST_TMP/handler" || die "handler did not start: $(cat "$TEST_TMP/X.err")"
    start=$(date +%s%N)
    kill -TERM "$(pgrep -P "$X_PID" rbus-subscribe)"
    rc=0; wait "$X_PID" || rc=$?
    expect_code "$rc" 143 "SIGTERM during the handler"
    [ $(( ($(date +%s%N) - start) / 1000000 )) -lt 5000 ] || die "took more than 5 s to stop"
    wait_until 5 sh -c "! pgrep -x -f \"sleep 60\" > /dev/null" || die "handler left running"
}

case_ "SIGINT/SIGTERM at random points of a subscription: 130/143, whole lines, --metrics" signal_subscribe_mid_stream
case_ "SIGINT rbus-tail, SIGTERM rbus-stats mid-window" signal_tail_and_stats
case_ "SIGTERM mid-batch: 143, summary, stdout = published" signal_batch_publish
case_ "SIGTERM with a stdout nobody reads: exits 143 anyway" signal_with_stalled_reader
case_ "rbus-tail | head -1: exit 0, quiet" sigpipe_head_quietly
case_ "rbus-publish --stdin/--count | head -1: everything still published" publish_into_head_publishes_everything
case_ "SIGTERM while an --exec handler hangs: 143 at once, the handler stopped too" sigterm_during_a_hanging_handler
