#!/usr/bin/env bash
# Consumer groups while they run, against a real redis-server: a live
# consumer keeps the event its handler runs from being claimed by another
# consumer with a short --claim-idle, and a consumer reading patterns picks
# up history streams that appear after it started.
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1
cli() { redis-cli -p "$R_PORT" "$@"; }
xautoclaims() { cli info commandstats | sed -n 's/^cmdstat_xautoclaim:calls=\([0-9]*\),.*/\1/p'; }
xautoclaims_at_least() { [ "$(xautoclaims)" -ge "$1" ] 2>/dev/null; }

live_consumer_keeps_its_running_event() {
    local runs=$TEST_TMP/runs release=$TEST_TMP/release
    rbus-subscribe -u "$R_URL" job.slow --group slow --timeout 1s > /dev/null  # creates the group
    rbus-subscribe -u "$R_URL" job.slow --group slow --consumer a --claim-idle 500ms --count 1 --timeout 60s -v \
        --exec "echo a >> $runs; while [ ! -e $release ]; do sleep 0.02; done" > /dev/null 2> "$TEST_TMP/a.err" &
    local a=$!
    track "$a"
    rbus-publish -q -u "$R_URL" --history job.slow n=1 || die "publish"
    wait_until 20 grep -q a "$runs" || die "consumer a never started its handler"
    cli config resetstat > /dev/null
    rbus-subscribe -u "$R_URL" job.slow --group slow --consumer b --claim-idle 500ms --count 1 --timeout 60s \
        --exec "echo b >> $runs" > /dev/null 2>&1 &
    local b=$!
    track "$b"
    # b looked for idle events three times, the handler running all along (without the
    # keep-alive the event was idle for more than 500ms at b's first look).
    looked_or_took() { xautoclaims_at_least 3 || ! kill -0 "$b" 2>/dev/null; }
    wait_until 30 looked_or_took || die "consumer b never looked for idle events"
    expect_eq "$(tr '\n' ' ' < "$runs")" "a " "the event is not handled by b while a runs it"
    expect_eq "$(cli xpending 'rbus:history:{raptorflow.events.job.slow}' slow - + 10 | sed -n 2p)" a \
        "the event is still consumer a's"
    touch "$release"
    wait "$a"; expect_code $? 0 "consumer a finished its event"
    kill "$b"
    expect_eq "$(tr '\n' ' ' < "$runs")" "a " "the event was handled once, by a"
    expect_eq "$(cli xpending 'rbus:history:{raptorflow.events.job.slow}' slow | head -1)" 0 "acknowledged"
    expect_no "$(cat "$TEST_TMP/a.err")" "claimed by another consumer" "a never lost it"
}

pattern_group_reads_streams_that_appear_later() {
    rbus-publish -q -u "$R_URL" --history mix.old n=0 || die "seed"
    bg_ready m rbus-subscribe -u "$R_URL" 'mix.*' --group mixers --count 2 --timeout 30s -v
    rbus-publish -q -u "$R_URL" --history mix.old n=1 || die "publish old"
    rbus-publish -q -u "$R_URL" --history mix.new n=2 || die "publish new"  # a stream that did not exist
    wait "$m_PID"; expect_code $? 0 "both events, from both streams"
    expect_eq "$(jq -r '.type + "=" + .payload.n' "$TEST_TMP/m.out" | sort | tr '\n' ' ')" "mix.new=2 mix.old=1 " \
        "the new stream's event too, the old stream from its end"
    expect_match "$(cat "$TEST_TMP/m.err")" 'reading rbus:history:\{raptorflow\.events\.mix\.new\} too' "said at -v"
}

pattern_matching_nothing_yet_waits() {
    bg_ready w rbus-subscribe -u "$R_URL" 'later.*' --group waiters --count 1 --timeout 30s
    rbus-publish -q -u "$R_URL" --history later.first n=1 || die "publish"
    wait "$w_PID"; expect_code $? 0 "the first stream's first event"
    expect_eq "$(jq -c '[.type, .payload.n]' "$TEST_TMP/w.out")" '["later.first","1"]' "read from its beginning"
    expect_match "$(cat "$TEST_TMP/w.err")" "no history stream matches yet; waiting for one" "said once"
}

case_ "a live consumer keeps its running event from a consumer with a short --claim-idle" live_consumer_keeps_its_running_event
case_ "--group with a pattern reads history streams that appear after it started" pattern_group_reads_streams_that_appear_later
case_ "--group with a pattern that matches no stream yet waits for one" pattern_matching_nothing_yet_waits
