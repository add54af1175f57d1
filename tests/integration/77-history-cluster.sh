#!/usr/bin/env bash
# History on a Redis Cluster of three masters (SPEC §8, issue 19): rbus-publish
# --history writes each channel's stream on the master of its hash tag, the
# msg: copy on its own slot's master, then PUBLISHes; a refused history write
# is not published. rbus-subscribe / rbus-tail --since replay every master's
# streams and msg: keys in time order, then go live, each event id once.
# rbus-subscribe --mirror records on each stream's master, once per id;
# --group reads every master's streams; --dlq, tail --dlq --since and --redrive
# read and return dead letters on every master.
. "$(dirname "$0")/../lib.sh"
start_redis_cluster C 3 || exit 1
read -r P1 P2 P3 <<< "$C_PORTS"
PREFIX=raptorflow.events
ccli() { redis-cli -c -p "$P1" "$@"; }
stream() { echo "rbus:history:{$PREFIX.$1}"; }
# One event type per master, by where its history stream lives.
declare -A TYPE_ON
for i in $(seq 1 80); do
    t=hc.kind$i
    p=$(cluster_owner "$P1" "$(stream "$t")") || continue
    if [ -z "${TYPE_ON[$p]:-}" ]; then TYPE_ON[$p]=$t; elif [ -z "${TYPE_ON[second$p]:-}" ]; then TYPE_ON[second$p]=$t; fi
done
T1=${TYPE_ON[$P1]:-} T2=${TYPE_ON[$P2]:-} T3=${TYPE_ON[$P3]:-}
T1B=${TYPE_ON[second$P1]:-}  # a second type whose stream lives on the first master (another slot)
[ -n "$T1" ] && [ -n "$T2" ] && [ -n "$T3" ] && [ -n "$T1B" ] || { echo "no event type found for every master" >&2; exit 1; }
xlen_on_owner() { local k; k=$(stream "$1"); redis-cli -p "$(cluster_owner "$P1" "$k")" xlen "$k"; }

publish_history_on_every_master() {
    bg_ready S rbus-subscribe -u "$C_URL" "$T1" "$T2" "$T3" --count 4 --timeout 30s
    local out id t
    out=$(rbus-publish -u "$C_URL" --history "$T1" n:=1) || die "publish through the seeds failed"
    id=$(jq -r .id <<< "$out")
    expect_eq "$(xlen_on_owner "$T1")" 1 "the stream on its slot's master"
    expect_eq "$(ccli get "msg:$PREFIX.$T1:$id")" "$out" "RaptorBus's msg: copy on its own slot's master"
    local ttl; ttl=$(ccli ttl "msg:$PREFIX.$T1:$id")
    [ "$ttl" -gt 3500 ] && [ "$ttl" -le 3600 ] || die "msg: TTL $ttl, expected 3600"
    [ "$(ccli pttl "rbus:seen:{$PREFIX.$T1}:$id")" -gt 600000000 ] || die "no seen mark"
    # One node's URL: the cluster is found by asking it; the same id again is published, not recorded twice.
    rbus-publish -q -u "redis://127.0.0.1:$P3" --history --id "$id" "$T1" n:=1 || die "publish through one node"
    expect_eq "$(xlen_on_owner "$T1")" 1 "de-duplicated by event id"
    # A batch over three masters, pipelined per master.
    for t in "$T2" "$T3"; do
        printf '{"id":"b-%s","type":"%s","payload":{"n":2},"priority":"normal","request_id":null,"source_agent_id":null,"workspace_id":null,"timestamp":"2026-11-30T00:00:00.000000Z"}\n' "$t" "$t"
    done > "$TEST_TMP/batch.ndjson"
    out=$(rbus-publish -u "$C_URL" --history --envelopes "$TEST_TMP/batch.ndjson" 2>&1 >/dev/null) || die "batch failed: $out"
    expect_match "$out" "published 2, failed 0, invalid 0" "batch summary"
    expect_eq "$(xlen_on_owner "$T2") $(xlen_on_owner "$T3")" "1 1" "each stream on its own master"
    expect_eq "$(ccli exists "msg:$PREFIX.$T2:b-$T2") $(ccli exists "msg:$PREFIX.$T3:b-$T3")" "1 1" "msg: copies"
    wait "$S_PID" || die "subscriber: $(cat "$TEST_TMP/S.err")"
    expect_eq "$(jq -r .type "$TEST_TMP/S.out" | grep -c "^$T1$") $(wc -l < "$TEST_TMP/S.out")" "2 4" \
        "every PUBLISH reached the subscriber"
    # --sharded: SPUBLISH on the channel's master, after the history.
    bg_ready H rbus-subscribe --sharded -u "$C_URL" "$T3" --count 1 --timeout 30s
    rbus-publish -q --sharded -u "$C_URL" --history "$T3" n:=3 || die "sharded publish"
    expect_eq "$(xlen_on_owner "$T3")" 2 "recorded with --sharded"
    wait "$H_PID" || die "sharded subscriber: $(cat "$TEST_TMP/H.err")"
    expect_eq "$(jq -r .payload.n "$TEST_TMP/H.out")" 3 "SPUBLISHed"
}

refused_history_write_not_published() {
    local bad=hc.bad k rc err
    k=$(stream "$bad")
    ccli set "$k" oops > /dev/null
    bg_ready B rbus-subscribe -u "$C_URL" "$bad" --timeout 60s
    err=$(rbus-publish -u "$C_URL" --history "$bad" 2>&1); rc=$?
    expect_code "$rc" 2 "a wrong-type history key"
    expect_eq "$err" "rbus-publish: error: history key $k holds a string, not a stream" "the error line"
    rc=0
    printf '{"a":1}\n{"a":2}\n' | rbus-publish -u "$C_URL" --history "$bad" --stdin > /dev/null \
        --dead-letter "$TEST_TMP/dl.ndjson" 2> "$TEST_TMP/bad.err" || rc=$?
    expect_code "$rc" 1 "a batch with a wrong-type key"
    expect_match "$(cat "$TEST_TMP/bad.err")" "published 0, failed 2, invalid 0" "both failed"
    expect_match "$(head -1 "$TEST_TMP/dl.ndjson")" 'holds a string, not a stream' "dead letter names the key"
    expect_eq "$(ccli --scan --pattern "msg:$PREFIX.$bad:*" | wc -l)" 0 "no msg: copy of an unrecorded event"
    kill "$B_PID"; wait "$B_PID" 2>/dev/null
    expect_eq "$(cat "$TEST_TMP/B.out")" "" "nothing published"
}

# publish_slowly TYPE N: N events n=1..N, --history, a line at a time.
publish_slowly() {
    local i
    for i in $(seq "$2"); do printf '{"n":%d}\n' "$i"; sleep 0.01; done |
        rbus-publish -q -u "$C_URL" --history "$1" --stdin
}

replay_then_live_across_masters() {
    local t n=150 total p
    for p in $C_PORTS; do redis-cli -p "$p" flushall > /dev/null; done
    # RaptorBus's own persisted events (publish_event()'s msg: keys, no stream) on another channel.
    local rb=hc.raptor i
    for i in 1 2 3; do
        ccli setex "msg:$PREFIX.$rb:rb-$i" 3600 \
            "{\"id\":\"rb-$i\",\"type\":\"$rb\",\"payload\":{\"n\":$i},\"priority\":\"normal\",\"request_id\":null,\"source_agent_id\":null,\"timestamp\":\"2026-11-30T00:00:0$i.000000\",\"version\":\"1.0\",\"retry_count\":0,\"max_retries\":3,\"destination_guild\":null}" > /dev/null
    done
    local spread=0
    for p in $C_PORTS; do [ "$(redis-cli -p "$p" --scan --pattern "msg:$PREFIX.$rb:*" | wc -l)" -gt 0 ] && spread=$((spread + 1)); done
    [ "$spread" -ge 2 ] || die "the msg: keys are not spread over the masters"
    for t in "$T1" "$T2" "$T3"; do publish_slowly "$t" "$n" & done
    has_some() { [ "$(xlen_on_owner "$T1")" -ge 20 ] && [ "$(xlen_on_owner "$T3")" -ge 20 ]; }
    wait_until 30 has_some || die "the publishers recorded nothing"
    total=$((3 * n + 3))
    rbus-subscribe -u "$C_URL" -v "$T1" "$T2" "$T3" "$rb" --since 2026-11-30T00:00:00Z --count "$total" --timeout 60s \
        > "$TEST_TMP/r.out" 2> "$TEST_TMP/r.err" || die "replay + live: $(tail -3 "$TEST_TMP/r.err")"
    wait
    expect_eq "$(jq -r .id "$TEST_TMP/r.out" | sort | uniq -d | wc -l)" 0 "no event id twice"
    expect_eq "$(jq -r .id "$TEST_TMP/r.out" | wc -l)" "$total" "every event"
    for t in "$T1" "$T2" "$T3" "$rb"; do
        local want; [ "$t" = "$rb" ] && want=$(seq 3 | tr '\n' ' ') || want=$(seq "$n" | tr '\n' ' ')
        expect_eq "$(jq -r "select(.type==\"$t\") | .payload.n" "$TEST_TMP/r.out" | tr '\n' ' ')" "$want" "$t in order"
    done
    expect_match "$(cat "$TEST_TMP/r.err")" "replay read 3 stream\(s\).* and [0-9]+ msg: key\(s\) on 3 cluster master\(s\)" "-v says the sources"
    # A pattern: streams and msg: keys found on every master; --until: the replay alone, exit 0.
    rbus-subscribe -u "redis://127.0.0.1:$P2" 'hc.*' --since 0 --until 0s > "$TEST_TMP/p.out" 2> "$TEST_TMP/p.err" ||
        die "pattern replay: $(cat "$TEST_TMP/p.err")"
    expect_eq "$(jq -r .id "$TEST_TMP/p.out" | sort -u | wc -l) $(wc -l < "$TEST_TMP/p.out")" "$total $total" "pattern: every event once"
    expect_eq "$(head -3 "$TEST_TMP/p.out" | jq -r .id | tr '\n' ' ')" "rb-1 rb-2 rb-3 " "in time order across masters"
}

tail_since_on_cluster() {
    local out
    out=$(rbus-tail -u "$C_URL" "$T2" --since 0 --until 0s) || die "rbus-tail --since"
    expect_lines "$out" 150 "tail replays the stream"
    expect_match "$(head -1 <<< "$out")" "$T2" "tail's line"
}

mirror_records_on_every_master() {
    local p t
    for p in $C_PORTS; do redis-cli -p "$p" flushall > /dev/null; done
    bg_ready M1 rbus-subscribe -u "$C_URL" -v --mirror 'hc.*' --timeout 60s
    bg_ready M2 rbus-subscribe -u "redis://127.0.0.1:$P2" --mirror "$T1" "$T2" "$T3" --timeout 60s
    for t in "$T1" "$T2" "$T3"; do
        seq 3 | sed 's/.*/{"n":&}/' | rbus-publish -q -u "$C_URL" "$t" --stdin || die "plain publish of $t"
    done
    has_all() { [ "$(xlen_on_owner "$T1")" -ge 3 ] && [ "$(xlen_on_owner "$T2")" -ge 3 ] && [ "$(xlen_on_owner "$T3")" -ge 3 ]; }
    wait_until 20 has_all || die "the mirrors did not record every event: $(cat "$TEST_TMP/M1.err")"
    # The --history publisher and two mirrors: still one entry per id.
    rbus-publish -q -u "$C_URL" --history "$T2" n:=4 || die "publish --history"
    has_four() { [ "$(xlen_on_owner "$T2")" -ge 4 ]; }
    wait_until 20 has_four || die "not recorded"
    kill -TERM "$M1_PID"; wait "$M1_PID"; expect_code $? 143 "mirror ends on SIGTERM"
    kill -TERM "$M2_PID"; wait "$M2_PID"
    expect_eq "$(xlen_on_owner "$T1") $(xlen_on_owner "$T2") $(xlen_on_owner "$T3")" "3 4 3" "each stream on its own master, each event once"
    expect_eq "$(redis-cli -p "$(cluster_owner "$P1" "$(stream "$T3")")" xrange "$(stream "$T3")" - + | grep '"id":' | jq -r .payload.n | tr '\n' ' ')" \
        "1 2 3 " "in order"
    expect_match "$(cat "$TEST_TMP/M1.err")" "mirror: recorded [0-9]+, already recorded [0-9]+, not recorded 0" "summary at -v"
    # A history key of the wrong type: exit 2 naming it.
    ccli set "$(stream hc.wrong)" oops > /dev/null
    bg_ready M3 rbus-subscribe -u "$C_URL" --mirror hc.wrong --timeout 60s
    rbus-publish -q -u "$C_URL" hc.wrong || die "publish"
    wait "$M3_PID"; expect_code $? 2 "a wrong-type stream"
    expect_match "$(cat "$TEST_TMP/M3.err")" "history key rbus:history:\{raptorflow\.events\.hc\.wrong\} holds a string, not a stream" "names the key"
    # A replay of a pattern that takes it in (SCAN on every master): exit 2 too, not "no history".
    local err rc; err=$(rbus-subscribe -u "$C_URL" 'hc.*' --since 0 --until 0s 2>&1 > /dev/null); rc=$?
    expect_code "$rc" 2 "a pattern replay over the wrong-type key"
    expect_match "$err" "history key rbus:history:\{raptorflow\.events\.hc\.wrong\} " "names it"
}

# pending_on TYPE GROUP: the group's unacknowledged events on TYPE's stream, asked on its master.
pending_on() { local k; k=$(stream "$1"); redis-cli -p "$(cluster_owner "$P1" "$k")" xpending "$k" "$2" | head -1; }

group_reads_every_master() {
    local p t
    for p in $C_PORTS; do redis-cli -p "$p" flushall > /dev/null; done
    for t in "$T1" "$T2" "$T3"; do
        seq 5 | sed 's/.*/{"n":&}/' | rbus-publish -q -u "$C_URL" --history "$t" --stdin || die "seed $t"
    done
    # Two consumers of one group share the 15 events of three masters.
    bg_ready g1 rbus-subscribe -u "$C_URL" "$T1" "$T2" "$T3" --group g --consumer c1 --since 0 --count 6 --timeout 30s
    wait "$g1_PID"; expect_code $? 0 "the first consumer took 6"
    rbus-subscribe -u "redis://127.0.0.1:$P3" 'hc.kind*' --group g --consumer c2 --count 9 --timeout 30s \
        > "$TEST_TMP/g2.out" 2> "$TEST_TMP/g2.err" || die "the second consumer: $(cat "$TEST_TMP/g2.err")"
    expect_eq "$(cat "$TEST_TMP/g1.out" "$TEST_TMP/g2.out" | jq -r .id | sort | uniq -d | wc -l)" 0 "no event twice"
    for t in "$T1" "$T2" "$T3"; do
        expect_eq "$(cat "$TEST_TMP/g1.out" "$TEST_TMP/g2.out" | jq -r "select(.type==\"$t\") | .payload.n" | sort -n | tr '\n' ' ')" \
            "1 2 3 4 5 " "every event of $t once across the group"
        expect_eq "$(jq -r "select(.type==\"$t\") | .payload.n" "$TEST_TMP/g2.out" | sort -n -c && echo sorted)" "sorted" "$t in order"
        expect_eq "$(pending_on "$t" g)" 0 "$t: all acknowledged on its master"
    done
    # Live: a consumer waiting on three masters gets what comes to each.
    bg_ready g3 rbus-subscribe -u "$C_URL" "$T1" "$T2" "$T3" --group g --count 3 --timeout 30s
    for t in "$T3" "$T1" "$T2"; do rbus-publish -q -u "$C_URL" --history "$t" n:=6 || die "publish $t"; done
    wait "$g3_PID"; expect_code $? 0 "one consumer, three masters"
    expect_eq "$(jq -r .type "$TEST_TMP/g3.out" | sort | tr '\n' ' ')" "$(printf '%s\n' "$T1" "$T2" "$T3" | sort | tr '\n' ' ')" "one event from each"
}

group_dead_letters_on_cluster() {
    ccli del "$(stream "$T2")" > /dev/null
    redis-cli -p "$P1" subscribe sys.dlq.max_retries_exceeded > "$TEST_TMP/dlqmsg.sub" &
    track $!
    wait_until 10 has_subscribers "$P1" sys.dlq.max_retries_exceeded 1 || die "redis-cli did not subscribe"
    local out id
    out=$(rbus-publish -u "$C_URL" --history "$T2" attempt=x) || die "publish"
    id=$(jq -r .id <<< "$out")
    rbus-subscribe -u "$C_URL" "$T2" --group fails --since 0 --consumer f1 --exec 'exit 3' --max-deliveries 2 \
        --idle 2s --metrics 2> "$TEST_TMP/fail.err" > /dev/null
    expect_eq "$(pending_on "$T2" fails)" 0 "acknowledged once moved"
    local dlq; dlq=$(redis-cli -p "$(cluster_owner "$P1" rbus:dlq)" xrange rbus:dlq - +)
    expect_match "$dlq" "$id" "the event in rbus:dlq on its master"
    expect_match "$dlq" "max_retries_exceeded" "with its reason"
    local rec=0 p
    for p in $C_PORTS; do rec=$((rec + $(redis-cli -p "$p" --scan --pattern 'dlq:sys.dlq.max_retries_exceeded:*' | wc -l))); done
    expect_eq "$rec" 1 "RaptorBus's record"
    wait_until 10 grep -q "$id" "$TEST_TMP/dlqmsg.sub" || die "no message on sys.dlq.max_retries_exceeded"
    expect_match "$(cat "$TEST_TMP/fail.err")" '"dlq_sent":1' "--metrics counts it"
}

dlq_read_and_redriven_on_cluster() {
    # Left by the case before: one rbus dead letter of $T2 (with its RaptorBus record); one of RaptorBus's own here.
    local rec='{"original_channel":"raptorflow.events.'"$T3"'","reason":"routing_error","error_details":"no route","timestamp":"2026-11-30T09:00:00","event":"{\"id\":\"e-9\",\"type\":\"'"$T3"'\",\"payload\":{},\"timestamp\":\"2026-11-30T08:59:59\"}"}'
    ccli setex dlq:sys.dlq.routing_error:u-9 3600 "$rec" > /dev/null
    local out
    out=$(rbus-subscribe -u "$C_URL" --dlq) || die "--dlq on a cluster"
    expect_eq "$(jq -r '.dlq.source + " " + .dlq.reason' <<< "$out" | sort | tr '\n' ',')" \
        "raptorbus routing_error,rbus max_retries_exceeded," "both queues, from their masters, each dead letter once"
    out=$(rbus-tail -u "redis://127.0.0.1:$P2" --dlq --since 2020-01-01T00:00:00Z --until 0s) || die "tail --dlq --since"
    expect_lines "$out" 2 "tail shows both stored dead letters"
    local before; before=$(xlen_on_owner "$T2")
    out=$(rbus-publish -u "$C_URL" --redrive --reason max_retries_exceeded 2>&1) || die "redrive: $out"
    expect_eq "$(xlen_on_owner "$T2")" $((before + 1)) "back in its stream, on its master"
    expect_eq "$(redis-cli -p "$(cluster_owner "$P1" rbus:dlq)" xlen rbus:dlq)" 0 "out of rbus:dlq"
    local left=0 p
    for p in $C_PORTS; do left=$((left + $(redis-cli -p "$p" --scan --pattern 'dlq:sys.dlq.max_retries_exceeded:*' | wc -l))); done
    expect_eq "$left" 0 "its RaptorBus record removed"
    # RaptorBus's record: PUBLISHed on its channel; nobody listening anywhere: kept.
    local rc=0
    rbus-publish -q -u "$C_URL" --redrive --reason routing_error 2> /dev/null || rc=$?
    expect_code "$rc" 1 "kept without a subscriber"
    expect_eq "$(ccli exists dlq:sys.dlq.routing_error:u-9)" 1 "still there"
    # A subscriber on another node than the channel's master: counted there (PUBSUB NUMSUB).
    local other=$P1; [ "$(cluster_owner "$P1" "$(stream "$T3")")" = "$P1" ] && other=$P2
    # (Without --count: it is still subscribed when the other masters are asked after the PUBLISH.)
    bg_ready rs rbus-subscribe -u "redis://127.0.0.1:$other" "$T3" --timeout 60s
    rbus-publish -q -u "$C_URL" --redrive --reason routing_error || die "redrive with a subscriber on another node"
    wait_until 10 grep -q e-9 "$TEST_TMP/rs.out" || die "the subscriber did not get it"
    kill "$rs_PID"; wait "$rs_PID" 2>/dev/null
    expect_eq "$(jq -c '[.id, .redriven]' "$TEST_TMP/rs.out")" '["e-9",true]' "published on its original_channel, marked"
    expect_eq "$(ccli exists dlq:sys.dlq.routing_error:u-9)" 0 "record removed once back"
}

group_follows_a_moved_slot() {
    local p key src dst slot src_id dst_id keys
    for p in $C_PORTS; do redis-cli -p "$p" flushall > /dev/null; done
    key=$(stream "$T1")
    seq 2 | sed 's/.*/{"n":&}/' | rbus-publish -q -u "$C_URL" --history "$T1" --stdin || die "seed"
    bg_ready mv rbus-subscribe -u "$C_URL" "$T1" --group mv --since 0 --count 4 --timeout 60s
    read_two() { [ "$(wc -l < "$TEST_TMP/mv.out")" -ge 2 ]; }
    wait_until 20 read_two || die "the consumer read nothing"
    # The stream's slot, with its keys, from its master to another (what a resharding does).
    src=$(cluster_owner "$P1" "$key"); dst=$P2; [ "$src" = "$P2" ] && dst=$P3
    slot=$(redis-cli -p "$src" cluster keyslot "$key")
    src_id=$(redis-cli -p "$src" cluster myid); dst_id=$(redis-cli -p "$dst" cluster myid)
    redis-cli -p "$dst" cluster setslot "$slot" importing "$src_id" > /dev/null
    redis-cli -p "$src" cluster setslot "$slot" migrating "$dst_id" > /dev/null
    mapfile -t keys < <(redis-cli -p "$src" cluster getkeysinslot "$slot" 100)
    redis-cli -p "$src" migrate 127.0.0.1 "$dst" "" 0 5000 keys "${keys[@]}" > /dev/null || die "migrate"
    for p in $C_PORTS; do redis-cli -p "$p" cluster setslot "$slot" node "$dst_id" > /dev/null; done
    expect_eq "$(cluster_owner "$P1" "$key")" "$dst" "the stream moved"
    seq 3 4 | sed 's/.*/{"n":&}/' | rbus-publish -q -u "$C_URL" --history "$T1" --stdin || die "publish after the move"
    wait "$mv_PID" || die "the consumer did not follow the slot: $(cat "$TEST_TMP/mv.err")"
    expect_eq "$(jq -r .payload.n "$TEST_TMP/mv.out" | tr '\n' ' ')" "1 2 3 4 " "every event once, in order, across the move"
    expect_eq "$(redis-cli -p "$dst" xpending "$key" mv | head -1)" 0 "acknowledged on the new master"
}

batch_resends_after_a_master_connection_is_killed() {
    local p key victim id
    for p in $C_PORTS; do redis-cli -p "$p" flushall > /dev/null; done
    key=$(stream "$T1"); victim=$(cluster_owner "$P1" "$key")
    # No --count: a PUBLISH whose reply the kill took may have run and is sent
    # again, so the subscriber may see an event twice; it runs until it has
    # seen all 1500.
    bg_ready K rbus-subscribe -u "$C_URL" "$T1" --timeout 120s
    mkfifo "$TEST_TMP/in.fifo"
    rbus-publish -u "$C_URL" --history "$T1" --stdin < "$TEST_TMP/in.fifo" > /dev/null 2> "$TEST_TMP/kill.err" &
    local pub=$!
    track "$pub"
    exec 3> "$TEST_TMP/in.fifo"
    seq 1000 | sed 's/.*/{"n":&}/' >&3  # one chunk, written on every master
    recorded() { [ "$(redis-cli -p "$victim" xlen "$key")" = "$1" ]; }
    wait_until 30 recorded 1000 || die "the first chunk was not recorded"
    # The stream master drops rbus-publish's connection: the next chunk meets it broken.
    id=$(redis-cli -p "$victim" client list | sed -n 's/^id=\([0-9]*\) .* name=rbus-publish .*/\1/p' | head -1)
    [ -n "$id" ] || die "no rbus-publish connection on $victim"
    redis-cli -p "$victim" client kill id "$id" > /dev/null
    seq 1001 1500 | sed 's/.*/{"n":&}/' >&3
    exec 3>&-
    wait "$pub"; expect_code $? 0 "every event published"
    expect_match "$(cat "$TEST_TMP/kill.err")" "published 1500, failed 0" "the summary"
    # The broken connection is met by the history write, or (when the kill came
    # after that phase had its reply) by the PUBLISH on the same master: either
    # way said, resent, and recorded once.
    expect_match "$(cat "$TEST_TMP/kill.err")" "connection lost: .*(history not written \\(event not published\\)|recorded, but not published): 127\\.0\\.0\\.1:$victim: .*; reconnecting in 200ms \\(attempt 1 of 3\\), [0-9]+ event\\(s\\) to resend" \
        "the lost connection said"
    expect_match "$(cat "$TEST_TMP/kill.err")" "reconnected; resent [0-9]+ event\\(s\\)" "the resend said"
    expect_eq "$(redis-cli -p "$victim" xlen "$key")" 1500 "every event recorded once"
    distinct() { jq -r .payload.n "$TEST_TMP/K.out" 2> /dev/null | sort -un | wc -l; }
    seen_all() { [ "$(distinct)" -ge 1500 ]; }
    wait_until 60 seen_all || die "the subscriber saw $(distinct) distinct events of 1500: $(cat "$TEST_TMP/K.err")"
    kill -TERM "$K_PID"; wait "$K_PID"
    expect_eq "$(distinct)" 1500 "each event published"
    [ "$(wc -l < "$TEST_TMP/K.out")" -le 3000 ] || die "more than one resend of an event"
}

# held_client_dropped PORT NAME CMD: once a client named NAME waits on the
# master at PORT with a command matching CMD (its writes held by CLIENT PAUSE),
# drops that connection and lets the writes go again: that command never ran.
held_client_dropped() {
    local port=$1 name=$2 cmd=$3 id rc=0
    held_id() { redis-cli -p "$port" client list | sed -En "s/^id=([0-9]+) .* name=$name .* cmd=($cmd) .*/\\1/p" | head -1; }
    has_held() { [ -n "$(held_id)" ]; }
    wait_until 30 has_held || rc=1
    id=$(held_id)
    [ -n "$id" ] && redis-cli -p "$port" client kill id "$id" > /dev/null
    redis-cli -p "$port" client unpause > /dev/null
    [ "$rc" = 0 ] || die "no $name client waiting with $cmd on $port"
}

single_event_written_again_after_a_master_connection_is_lost() {
    local p key victim rc out id
    for p in $C_PORTS; do redis-cli -p "$p" flushall > /dev/null; done
    key=$(stream "$T1"); victim=$(cluster_owner "$P1" "$key")
    bg_ready O rbus-subscribe -u "$C_URL" "$T1" --count 1 --timeout 60s
    # --retries 0: the lost connection fails the event at once: bus unreachable, exit 3, not published.
    redis-cli -p "$victim" client pause 60000 write > /dev/null
    rbus-publish -u "$C_URL" --history --retries 0 "$T1" n:=0 > "$TEST_TMP/r0.out" 2> "$TEST_TMP/r0.err" &
    p=$!; track "$p"
    held_client_dropped "$victim" rbus-publish "eval|evalsha"
    rc=0; wait "$p" || rc=$?
    expect_code "$rc" 3 "a master lost, no retries"
    out=$(cat "$TEST_TMP/r0.err")
    expect_lines "$out" 1 "one line on stderr"
    expect_match "$out" "^rbus-publish: error: connection lost: history not written \(event not published\): 127\.0\.0\.1:$victim: " \
        "the error line"
    expect_eq "$(cat "$TEST_TMP/r0.out")$(redis-cli -p "$victim" xlen "$key")" "0" "nothing printed, nothing recorded"
    # Default --retries: written again after the backoff, on a new connection, and published.
    redis-cli -p "$victim" client pause 60000 write > /dev/null
    rbus-publish -u "$C_URL" --history "$T1" n:=1 > "$TEST_TMP/r3.out" 2> "$TEST_TMP/r3.err" &
    p=$!; track "$p"
    held_client_dropped "$victim" rbus-publish "eval|evalsha"
    rc=0; wait "$p" || rc=$?
    expect_code "$rc" 0 "published once the master was reached again: $(cat "$TEST_TMP/r3.err")"
    out=$(cat "$TEST_TMP/r3.err")
    expect_match "$out" "connection lost: history not written \(event not published\): 127\.0\.0\.1:$victim: .*; reconnecting in 200ms \(attempt 1 of 3\), 1 event\(s\) to resend" \
        "the lost connection said"
    expect_match "$out" "reconnected; resent 1 event\(s\)" "the resend said"
    id=$(jq -r .id "$TEST_TMP/r3.out")
    expect_eq "$(redis-cli -p "$victim" xlen "$key")" 1 "recorded once"
    expect_eq "$(ccli exists "msg:$PREFIX.$T1:$id")" 1 "RaptorBus's msg: copy"
    wait "$O_PID" || die "the subscriber got nothing: $(cat "$TEST_TMP/O.err")"
    expect_eq "$(jq -r .id "$TEST_TMP/O.out")" "$id" "published (only the event that was recorded)"
}

redrive_stopped_midway_then_run_again() {
    local p t key dlqp out id rc
    for p in $C_PORTS; do redis-cli -p "$p" flushall > /dev/null; done
    dlqp=$(cluster_owner "$P1" rbus:dlq)
    for t in "$T1" "$T2" "$T3"; do [ "$(cluster_owner "$P1" "$(stream "$t")")" != "$dlqp" ] && break; done
    key=$(stream "$t")
    out=$(rbus-publish -u "$C_URL" --history "$t" attempt=x) || die "publish"
    id=$(jq -r .id <<< "$out")
    rbus-subscribe -u "$C_URL" "$t" --group rd --since 0 --exec 'exit 3' --max-deliveries 1 --idle 2s \
        > /dev/null 2> "$TEST_TMP/rd.err"
    expect_eq "$(redis-cli -p "$dlqp" xlen rbus:dlq)" 1 "a dead letter: $(cat "$TEST_TMP/rd.err")"
    # The redrive stops after the event is back in its stream (another master),
    # before it leaves rbus:dlq: that master's writes held, the connection dropped.
    redis-cli -p "$dlqp" client pause 60000 write > /dev/null
    rbus-publish -u "$C_URL" --redrive > "$TEST_TMP/rd1.out" 2> "$TEST_TMP/rd1.err" &
    p=$!; track "$p"
    held_client_dropped "$dlqp" rbus-dlq "del|xdel"
    rc=0; wait "$p" || rc=$?
    expect_code "$rc" 3 "the redrive stopped midway"
    expect_match "$(cat "$TEST_TMP/rd1.err")" "^rbus-publish: error: the redrive of [0-9]+-[0-9]+ stopped at X?DEL \\(run it again: it is not added twice\\): " \
        "said, with what to do"
    expect_eq "$(redis-cli -p "$(cluster_owner "$P1" "$key")" xlen "$key") $(redis-cli -p "$dlqp" xlen rbus:dlq)" "2 1" \
        "back in its stream, still in the DLQ"
    # Run again: out of the DLQ, and still one redriven entry in the stream.
    rbus-publish -u "$C_URL" -v --redrive > "$TEST_TMP/rd2.out" 2> "$TEST_TMP/rd2.err" ||
        die "the redrive run again: $(cat "$TEST_TMP/rd2.err")"
    expect_match "$(cat "$TEST_TMP/rd2.err")" "redriven 1, kept 0" "the summary"
    expect_match "$(cat "$TEST_TMP/rd2.err")" "was back in rbus:history:\\{$PREFIX\\.$t\\} already" "-v says it was back"
    expect_eq "$(redis-cli -p "$(cluster_owner "$P1" "$key")" xrange "$key" - + | grep '"id":' | jq -r '"\(.id),\(.redriven)"' | tr '\n' ' ')" \
        "$id,null $id,true " "the event once more in its stream, marked, not twice"
    expect_eq "$(redis-cli -p "$dlqp" xlen rbus:dlq)" 0 "out of rbus:dlq"
    local left=0
    for p in $C_PORTS; do
        left=$((left + $(redis-cli -p "$p" --scan --pattern 'dlq:sys.dlq.*' | wc -l) + $(redis-cli -p "$p" --scan --pattern 'rbus:redriven:*' | wc -l)))
    done
    expect_eq "$left" 0 "its RaptorBus record and the redrive mark removed"
}

replay_reads_a_stream_being_migrated() {
    local p key src dst slot src_id dst_id keys
    for p in $C_PORTS; do redis-cli -p "$p" flushall > /dev/null; done
    key=$(stream "$T1")
    seq 1500 | sed 's/.*/{"n":&}/' | rbus-publish -q -u "$C_URL" --history "$T1" --stdin || die "seed"
    # Mid-resharding: the slot MIGRATING on its master, IMPORTING on another, the
    # stream already moved (its seen marks not yet): the old master answers ASK.
    src=$(cluster_owner "$P1" "$key"); dst=$P2; [ "$src" = "$P2" ] && dst=$P3
    slot=$(redis-cli -p "$src" cluster keyslot "$key")
    src_id=$(redis-cli -p "$src" cluster myid); dst_id=$(redis-cli -p "$dst" cluster myid)
    redis-cli -p "$dst" cluster setslot "$slot" importing "$src_id" > /dev/null
    redis-cli -p "$src" cluster setslot "$slot" migrating "$dst_id" > /dev/null
    redis-cli -p "$src" migrate 127.0.0.1 "$dst" "$key" 0 5000 > /dev/null || die "migrate"
    expect_match "$(redis-cli -p "$src" xlen "$key" 2>&1)" "^ASK $slot " "the old master redirects with ASK"
    rbus-subscribe -u "$C_URL" -v "$T1" --since 0 --until 0s > "$TEST_TMP/ask.out" 2> "$TEST_TMP/ask.err" ||
        die "replay during the migration: $(tail -3 "$TEST_TMP/ask.err")"
    expect_eq "$(jq -r .payload.n "$TEST_TMP/ask.out" | tr '\n' ' ')" "$(seq 1500 | tr '\n' ' ')" \
        "every event once, in order, read on the importing node"
    expect_match "$(cat "$TEST_TMP/ask.err")" "hc\\.kind[0-9]+\\} is being migrated: reading it on 127\.0\.0\.1:$dst" "said at -v"
    # The migration finished, for the cases after this one.
    mapfile -t keys < <(redis-cli -p "$src" cluster getkeysinslot "$slot" 5000)
    [ "${#keys[@]}" = 0 ] || redis-cli -p "$src" migrate 127.0.0.1 "$dst" "" 0 5000 keys "${keys[@]}" > /dev/null ||
        die "migrate the rest"
    for p in $C_PORTS; do redis-cli -p "$p" cluster setslot "$slot" node "$dst_id" > /dev/null; done
}

group_reads_two_streams_of_one_master() {
    local p
    for p in $C_PORTS; do redis-cli -p "$p" flushall > /dev/null; done
    seq 3 | sed 's/.*/{"n":&}/' | rbus-publish -q -u "$C_URL" --history "$T1" --stdin || die "seed $T1"
    seq 3 | sed 's/.*/{"n":&}/' | rbus-publish -q -u "$C_URL" --history "$T1B" --stdin || die "seed $T1B"
    # Two streams in two slots of one master: a cluster refuses one command
    # naming both (CROSSSLOT), so each slot is read on its own.
    local out rc
    out=$(rbus-subscribe -u "$C_URL" "$T1" "$T1B" "$T2" --group g2 --since 0 --count 6 --timeout 30s 2> "$TEST_TMP/g.err"); rc=$?
    expect_code "$rc" 0 "two streams of one master read by one group (err: $(cat "$TEST_TMP/g.err"))"
    expect_eq "$(jq -r '.type + " " + (.payload.n|tostring)' <<< "$out" | sort | tr '\n' ' ')" \
        "$(for t in "$T1" "$T1B"; do for n in 1 2 3; do echo "$t $n"; done; done | sort | tr '\n' ' ')" "every event of both once"
    expect_eq "$(pending_on "$T1" g2) $(pending_on "$T1B" g2)" "0 0" "all acknowledged"
}

case_ "--history on a cluster: stream on its slot's master, msg: copy, then PUBLISH; batches; --sharded" publish_history_on_every_master
case_ "--history on a cluster: a refused history write is not published" refused_history_write_not_published
case_ "--since across three masters under concurrent publishing: each id once, in order per type" replay_then_live_across_masters
case_ "rbus-tail --since on a cluster" tail_since_on_cluster
case_ "--mirror on a cluster: each event recorded once on its stream's master" mirror_records_on_every_master
case_ "--group on a cluster: consumers share the streams of three masters, each event once" group_reads_every_master
case_ "--group on a cluster: two streams on one master, each slot read on its own" group_reads_two_streams_of_one_master
case_ "--group on a cluster: a failing event reaches the DLQ with RaptorBus's record" group_dead_letters_on_cluster
case_ "--dlq, tail --dlq --since and --redrive on a cluster" dlq_read_and_redriven_on_cluster
case_ "--group on a cluster follows a stream whose slot moved to another master" group_follows_a_moved_slot
case_ "--history batch on a cluster: a master's dropped connection is reconnected, its events resent" batch_resends_after_a_master_connection_is_killed
case_ "--history single event on a cluster: a master's lost connection is reconnected, the event written again" single_event_written_again_after_a_master_connection_is_lost
case_ "--redrive on a cluster stopped midway and run again: the event back once" redrive_stopped_midway_then_run_again
case_ "--since on a cluster reads a stream whose slot is being migrated (ASK)" replay_reads_a_stream_being_migrated
