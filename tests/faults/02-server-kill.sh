#!/usr/bin/env bash
# Faults: the server SIGKILLed (no goodbye, events in flight) and restarted,
# during a subscription and during a pipelined batch publish.
. "$(dirname "$0")/../lib.sh"

# crash_and_restart NAME: SIGKILLs NAME's server and starts a new one on the same port.
crash_and_restart() {
    local name=$1 port pid old dir
    port=${name}_PORT; port=${!port}
    old=${name}_PID; old=${!old}
    kill -9 "$old" 2>/dev/null
    while kill -0 "$old" 2>/dev/null; do sleep 0.02; done
    dir=$TEST_TMP/redis-$name-$port-crashed-$RANDOM
    mkdir -p "$dir"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
        --logfile "$dir/redis.log" 7>&- 8>&- &
    pid=$!
    track "$pid"
    printf -v "${name}_PID" '%s' "$pid"
    wait_until 10 redis-cli -p "$port" ping
}

# publish_n PORT CHANNEL FROM TO: raw envelopes with payload.i = FROM..TO, pipelined.
publish_n() {
    /usr/bin/python3 - "$@" <<'PY'
import redis, sys, json
port, ch, a, b = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
r = redis.Redis(port=port)
p = r.pipeline(transaction=False)
for i in range(a, b + 1):
    p.publish(ch, json.dumps({"type": "crash.tick", "payload": {"i": i}}, separators=(",", ":")))
p.execute()
PY
}

subscription_survives_sigkill() {
    start_redis A || die "redis"
    local rc
    bg_ready S timeout -k 2 40 rbus-subscribe -u "$A_URL" 'crash.*' --metrics
    publish_n "$A_PORT" raptorflow.events.crash.tick 1 5000 || die "publish before"
    wait_until 10 eval '[ "$(grep -c "" "$TEST_TMP/S.out")" -ge 5000 ]' || die "events before the crash"
    crash_and_restart A || die "restart"
    # Publish until the resubscribed client receives (each PUBLISH reports its receivers).
    wait_until 15 sh -c "[ \"\$(redis-cli -p $A_PORT publish raptorflow.events.crash.tick '{\"type\":\"crash.tick\",\"payload\":{\"i\":0}}')\" = 1 ]" ||
        die "no resubscription: $(cat "$TEST_TMP/S.err")"
    publish_n "$A_PORT" raptorflow.events.crash.tick 5001 6000 || die "publish after"
    wait_until 10 eval '[ "$(jq -r .payload.i "$TEST_TMP/S.out" | sort -n | uniq | wc -l)" -ge 6001 ]' ||
        die "events after the crash: $(jq -r .payload.i "$TEST_TMP/S.out" | sort -n | uniq | wc -l) distinct"
    pkill -TERM -P "$S_PID" -x rbus-subscribe
    rc=0; wait "$S_PID" || rc=$?
    expect_code "$rc" 143 "SIGTERM after the crash"
    jq -c . "$TEST_TMP/S.out" > /dev/null || die "a line is not whole JSON"
    expect_match "$(cat "$TEST_TMP/S.err")" "WARN bus - connection lost: .*; reconnecting" "loss logged"
    expect_match "$(cat "$TEST_TMP/S.err")" "WARN bus - reconnected after [0-9.]+m?s; events published meanwhile were not received" "gap logged"
    expect_eq "$(tail -1 "$TEST_TMP/S.err" | jq .reconnects)" 1 "reconnects counted"
}

# The publisher is frozen (SIGSTOP) with commands in flight while the server is
# SIGKILLed and restarted, so an independent subscriber is attached to the new
# server before the publisher notices; then every line must end published,
# failed or invalid, and every published event must have reached a subscriber.
batch_survives_sigkill() {
    start_redis B || die "redis"
    local fifo=$TEST_TMP/batch.fifo pub rc s published failed invalid i
    mkfifo "$fifo"
    redis-cli -p "$B_PORT" subscribe raptorflow.events.crash.batch > "$TEST_TMP/sub1" &
    track $!
    wait_until 10 has_subscribers "$B_PORT" raptorflow.events.crash.batch 1 || die "first subscriber"
    timeout -k 2 60 rbus-publish -u "$B_URL" --retries 20 --dead-letter "$TEST_TMP/b.dl" crash.batch --stdin \
        < "$fifo" > "$TEST_TMP/b.out" 2> "$TEST_TMP/b.err" &
    pub=$!; track "$pub"
    exec 7> "$fifo"
    for i in $(seq 1 20000); do echo "{\"i\":$i}"; done >&7
    echo 'not json' >&7
    wait_until 15 eval '[ "$(grep -c "" "$TEST_TMP/b.out")" -ge 1000 ]' || die "batch did not start"
    pkill -STOP -P "$pub" -x rbus-publish || die "no rbus-publish"
    # Redis acknowledges a PUBLISH once the message is queued for the
    # subscriber, not once it is sent: a crash loses what a slow subscriber
    # had not read yet, whatever the publisher does. So the crash comes once
    # the first subscriber has everything the server took (the publisher is
    # frozen: only its commands in flight are at stake, and it must resend them).
    wait_until 15 sh -c "[ \"\$(grep -c '^{\"id\"' $TEST_TMP/sub1)\" -ge \"\$(redis-cli -p $B_PORT info commandstats | sed -n 's/^cmdstat_publish:calls=\([0-9]*\),.*/\1/p')\" ]" ||
        { pkill -CONT -P "$pub"; die "the first subscriber did not catch up"; }
    crash_and_restart B || { pkill -CONT -P "$pub"; die "restart"; }
    redis-cli -p "$B_PORT" subscribe raptorflow.events.crash.batch > "$TEST_TMP/sub2" 7>&- &
    track $!
    wait_until 10 has_subscribers "$B_PORT" raptorflow.events.crash.batch 1 || die "second subscriber"
    pkill -CONT -P "$pub" -x rbus-publish
    for i in $(seq 20001 30000); do echo "{\"i\":$i}"; done >&7
    exec 7>&-
    rc=0; wait "$pub" || rc=$?
    s=$(grep -a '^published [0-9]*, failed [0-9]*, invalid [0-9]*$' "$TEST_TMP/b.err" | tail -1)
    expect_match "$s" '^published [0-9]+, failed [0-9]+, invalid 1$' "summary: $(tail -3 "$TEST_TMP/b.err")"
    read -r published failed invalid <<< "$(sed 's/[^0-9 ]//g' <<< "$s")"
    expect_eq $((published + failed + invalid)) 30001 "every line published, failed or invalid"
    expect_eq "$failed" 0 "nothing failed with --retries 20"
    expect_code "$rc" 1 "exit 1 (one invalid line)"
    expect_eq "$(grep -c '' "$TEST_TMP/b.dl")" 1 "dead-letter holds the invalid line"
    expect_match "$(cat "$TEST_TMP/b.err")" "reconnected to 127.0.0.1:$B_PORT" "reconnect logged"
    # Every event the tool reports as published reached one of the two subscribers.
    wait_until 10 eval '[ "$(cat "$TEST_TMP/sub1" "$TEST_TMP/sub2" | grep -c "^{\"id\"")" -ge "$published" ]' || true
    jq -r .payload.i "$TEST_TMP/b.out" | sort -u > "$TEST_TMP/printed"
    grep -h '^{"id"' "$TEST_TMP/sub1" "$TEST_TMP/sub2" | jq -r .payload.i | sort -u > "$TEST_TMP/seen"
    expect_eq "$(wc -l < "$TEST_TMP/printed")" 30000 "distinct inputs published (in-flight ones retried)"
    expect_eq "$(comm -23 "$TEST_TMP/printed" "$TEST_TMP/seen" | head -5 | tr '\n' ' ')" "" "published but never received"
}

case_ "SIGKILLed server during a subscription: reconnect, whole lines, gap logged" subscription_survives_sigkill
case_ "SIGKILLed server during a pipelined batch: every line accounted for, checked by subscribers" batch_survives_sigkill
