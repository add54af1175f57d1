#!/usr/bin/env bash
# rbus-stats's history sections (SPEC §8, issue 19) against a real
# redis-server: history streams, consumer groups (pending, lag, consumers),
# both DLQs, RaptorBus's persisted msg: keys under --scan-limit, agents from
# sys.global.heartbeat (persisted and live); table, --json, --prometheus,
# --watch; the --check thresholds --max-pending, --max-dlq, --max-lag, --min-agents.
. "$(dirname "$0")/../lib.sh"
start_redis R || exit 1
export REDIS_URL=$R_URL
cli() { redis-cli -p "$R_PORT" "$@"; }
KEY='rbus:history:{raptorflow.events.job.run}'
now() { date -u +%FT%T.%6N; }
beat() {  # beat AGENT TIMESTAMP: a heartbeat BusEvent as RaptorBus publishes it
    printf '{"id":"%s","type":"heartbeat","payload":{"status":"ok"},"priority":"low","request_id":null,"source_agent_id":"%s","timestamp":"%s","version":"1.0","retry_count":0,"max_retries":3,"destination_guild":null}' \
        "$(cat /proc/sys/kernel/random/uuid)" "$1" "$2"
}

# 3 recorded events; group "workers" took 1 (acknowledged) and consumer c9
# holds 1 unacknowledged: pending 1, lag 1. One dead letter of each kind,
# one persisted event, one persisted heartbeat of agent res-1.
seed() {
    cli flushall > /dev/null
    seq 3 | sed 's/.*/{"n":&}/' | rbus-publish -q --history job.run --stdin || die "publish --history"
    rbus-subscribe job.run --group workers --since 0 --count 1 --timeout 10s > /dev/null || die "group consumer"
    cli xreadgroup group workers c9 count 1 streams "$KEY" '>' > /dev/null
    cli xadd rbus:dlq '*' envelope '{}' reason max_retries_exceeded channel raptorflow.events.job.run > /dev/null
    cli setex dlq:sys.dlq.routing_error:u-1 2592000 '{"original_channel":"x","reason":"routing_error","error_details":"e","timestamp":"2026-11-30T09:00:00","event":null}' > /dev/null
    cli setex msg:raptorflow.events.rb.x:e-1 3600 '{"id":"e-1","type":"rb.x","payload":{}}' > /dev/null
    cli setex msg:sys.global.heartbeat:b-1 60 "$(beat res-1 "$(now)")" > /dev/null
}

json_reports_history() {
    seed
    local out; out=$(rbus-stats --json --duration 0) || die "rbus-stats --json"
    expect_eq "$(jq -c '.history.streams[] | select(.channel=="raptorflow.events.job.run") | [.key, .length, (.memory_bytes > 0), (.oldest_age_seconds >= 0)]' <<< "$out")" \
        "[\"$KEY\",3,true,true]" "the stream"
    expect_eq "$(jq -c '.history.streams[0].groups[0] | [.group, .pending, .lag, .consumers, .consumer_list[0].consumer, .consumer_list[0].pending, (.oldest_pending_idle_ms >= 0)]' <<< "$out")" \
        '["workers",1,1,1,"c9",1,true]' "the group: pending, lag, consumers"
    expect_eq "$(jq -c '.history.dlq | [.rbus.key, .rbus.length, .raptorbus.records, .raptorbus.by_reason.routing_error]' <<< "$out")" \
        '["rbus:dlq",1,1,1]' "both DLQs"
    expect_eq "$(jq -c '.history.persisted | [.by_channel["raptorflow.events.rb.x"], .by_channel["sys.global.heartbeat"], .complete]' <<< "$out")" \
        '[1,1,true]' "persisted msg: counts"
    expect_eq "$(jq -c '[.history.agents_alive, .history.agents[0].agent, .history.agents[0].alive, .history.agents[0].heard]' <<< "$out")" \
        '[1,"res-1",true,"persisted"]' "agent from its persisted beat"
}

table_sections_escaped() {
    seed
    cli xadd $'rbus:history:{raptorflow.events.we\x1b[31mird}' '*' envelope '{}' > /dev/null
    local out; out=$(rbus-stats --duration 0) || die "rbus-stats"
    expect_match "$out" $'HISTORY  rbus:history:\\{\\*\\}  \\(2 stream\\(s\\), 4 entries\\)' "HISTORY heading"
    expect_match "$out" $'\n  raptorflow\\.events\\.job\\.run +3 ' "stream row"
    expect_match "$out" $'GROUPS  \\(1 pending\\)\n  CHANNEL +GROUP +CONSUMERS +PENDING +LAG +OLDEST PENDING IDLE\n  raptorflow\\.events\\.job\\.run +workers +1 +1 +1 ' "group row"
    expect_match "$out" $'\n  rbus:dlq +1 +entries\n  dlq:sys\\.dlq\\.\\* +1 +RaptorBus records\n    routing_error +1' "DLQ rows"
    expect_match "$out" 'PERSISTED  msg:\{channel\}:\*  \(5 message\(s\); SCAN complete\)' "PERSISTED heading (rbus-publish --history wrote 3)"
    expect_match "$out" $'AGENTS  sys\\.global\\.heartbeat  \\(1 alive within 60s, 1 seen\\)\n  AGENT.*\n  res-1 ' "agents"
    expect_no "$out" $'\x1b' "no raw escape from a stream name"
    expect_match "$out" 'raptorflow\.events\.we\\u001b\[31mird' "the name shown escaped"
}

check_thresholds() {
    seed
    local out rc
    out=$(rbus-stats --check --max-pending 1 --max-dlq 1 --max-lag 1 --min-agents 1); rc=$?
    expect_code "$rc" 0 "within every threshold"
    expect_match "$out" ', 1 history stream\(s\), 1 group\(s\) with 1 pending, DLQ 1 \+ 1 RaptorBus record\(s\), 1 agent\(s\) alive$' "OK line"
    out=$(rbus-stats --check --max-pending 0 --max-lag 0 --max-dlq 0 --min-agents 2 2> "$TEST_TMP/err"); rc=$?
    expect_code "$rc" 1 "thresholds failed"
    expect_lines "$out" 1 "one status line"
    expect_match "$out" "^FAIL redis://127\.0\.0\.1:$R_PORT/0: group workers on raptorflow\.events\.job\.run has 1 pending > 0; group workers on raptorflow\.events\.job\.run lags 1 > 0; DLQ rbus:dlq holds 1 > 0; RaptorBus DLQ holds 1 record\(s\) > 0; 1 agent\(s\) alive < 2 " "FAIL line"
    expect_lines "$(cat "$TEST_TMP/err")" 1 "one stderr line"
    expect_match "$(cat "$TEST_TMP/err")" "^rbus-stats: error: check failed: group workers .* 1 agent\(s\) alive < 2$" "stderr error"
}

check_usage() {
    local rc err
    err=$(rbus-stats --max-pending 1 2>&1); rc=$?
    expect_code "$rc" 2 "--max-pending without --check"
    err=$(rbus-stats --check --max-dlq -1 2>&1); rc=$?
    expect_code "$rc" 2 "a negative threshold"
    expect_lines "$err" 1 "one line"
    err=$(rbus-stats --check --min-agents x 2>&1); rc=$?
    expect_code "$rc" 2 "not a number"
    err=$(rbus-stats --duration 0 --scan-limit 0 2>&1); rc=$?
    expect_code "$rc" 2 "--scan-limit 0"
    cli set rbus:dlq text > /dev/null
    err=$(rbus-stats --duration 0 --json 2>&1 >/dev/null); rc=$?
    expect_code "$rc" 2 "a DLQ key that is not a stream"
    expect_eq "$err" "rbus-stats: error: DLQ key rbus:dlq is not a stream" "named"
    cli del rbus:dlq > /dev/null
}

scan_limit_says_at_least() {
    cli flushall > /dev/null
    local i
    for i in $(seq 3000); do echo "SET msg:raptorflow.events.bulk.x:id-$i v"; done | cli > /dev/null
    for i in $(seq 300); do echo "SET other:$i v"; done | cli > /dev/null
    local out; out=$(rbus-stats --json --duration 0 --scan-limit 100) || die "rbus-stats"
    expect_eq "$(jq -c '[.history.scan.limit, .history.scan.examined, .history.scan.complete, .history.persisted.complete]' <<< "$out")" \
        '[100,100,false,false]' "stopped at the budget"
    local n; n=$(jq '.history.persisted.by_channel["raptorflow.events.bulk.x"] // 0' <<< "$out")
    [ "$n" -gt 0 ] && [ "$n" -lt 3000 ] || die "a walk of 100 keys counted $n of 3000"
    out=$(rbus-stats --duration 0 --scan-limit 100) || die "table"
    expect_match "$out" 'SCAN stopped after 100 key\(s\) \(--scan-limit\): counts are lower bounds' "the table says so"
    expect_match "$out" $'\n  raptorflow\\.events\\.bulk\\.x +>=[0-9]+' "at least"
    out=$(rbus-stats --json --duration 0) || die "default budget"
    expect_eq "$(jq -c '[.history.scan.complete, .history.persisted.by_channel["raptorflow.events.bulk.x"]]' <<< "$out")" \
        '[true,3000]' "the default 10,000 covers 3,300 keys"
    # --check --max-dlq 0 with a RaptorBus record past the budget: not a pass (before: OK, a false green).
    cli set 'dlq:sys.dlq.routing_error:zz' '{"original_channel":"x","reason":"routing_error","event":null}' > /dev/null
    local rc=0; out=$(rbus-stats --check --max-dlq 0 --scan-limit 100 2>&1) || rc=$?
    expect_code "$rc" 1 "--max-dlq with the walk cut short"
    # (When SCAN's order, random with the server's hash seed, puts the record in the first 100 keys, it is counted.)
    expect_match "$out" "RaptorBus DLQ (records not all counted \(at least [0-9]+; the SCAN stopped at --scan-limit 100 keys|holds at least 1 record)" \
        "said why"
    rc=0; rbus-stats --check --max-dlq 0 > /dev/null 2>&1 || rc=$?
    expect_code "$rc" 1 "the whole walk finds the record"
    cli del 'dlq:sys.dlq.routing_error:zz' > /dev/null
    rc=0; rbus-stats --check --max-dlq 0 > /dev/null 2>&1 || rc=$?
    expect_code "$rc" 0 "none: OK"
}

live_heartbeats() {
    cli flushall > /dev/null
    rbus-stats --json --duration 3s > "$TEST_TMP/live.out" 2> "$TEST_TMP/live.err" &
    local pid=$!
    track "$pid"
    wait_until 10 has_subscribers "$R_PORT" sys.global.heartbeat 1 || die "rbus-stats does not listen to heartbeats"
    cli publish sys.global.heartbeat "$(beat live-7 2020-01-01T00:00:00)" > /dev/null
    wait "$pid" || die "rbus-stats failed: $(cat "$TEST_TMP/live.err")"
    expect_eq "$(jq -c '[.history.agents[0].agent, .history.agents[0].heard, .history.agents[0].alive, .history.agents_alive]' "$TEST_TMP/live.out")" \
        '["live-7","live",true,1]' "a beat heard live, dated by its receipt"
    expect_eq "$(jq .traffic.events "$TEST_TMP/live.out")" 0 "not counted as traffic under raptorflow.events"
}

prometheus_families() {
    seed
    local out; out=$(rbus-stats --prometheus --duration 0) || die "rbus-stats --prometheus"
    expect_match "$out" $'\nrbus_history_stream_length\\{channel="raptorflow\\.events\\.job\\.run"\\} 3\n' "stream length"
    expect_match "$out" $'\nrbus_group_pending\\{channel="raptorflow\\.events\\.job\\.run",group="workers"\\} 1\n' "pending"
    expect_match "$out" $'\nrbus_group_lag\\{channel="raptorflow\\.events\\.job\\.run",group="workers"\\} 1\n' "lag"
    expect_match "$out" $'\nrbus_consumer_pending\\{channel="raptorflow\\.events\\.job\\.run",group="workers",consumer="c9"\\} 1\n' "consumer"
    expect_match "$out" $'\nrbus_dlq_entries\\{key="rbus:dlq"\\} 1\n' "rbus DLQ"
    expect_match "$out" $'\nrbus_raptorbus_dlq_records\\{reason="routing_error"\\} 1\n' "RaptorBus DLQ"
    expect_match "$out" $'\nrbus_agents_alive 1\n' "agents"
    # Every sample belongs to the family whose # TYPE came last.
    awk '/^# TYPE /{f=$3; if (seen[f]++) {print "twice: " f; exit 1}; next} /^#/{next} {split($0, a, /[{ ]/); if (a[1] != f && a[1] !~ "^" f "_(sum|count)$") {print "stray: " $0; exit 1}}' <<< "$out" \
        || die "samples outside their family"
}

watch_does_not_rescan() {
    seed
    cli monitor > "$TEST_TMP/monitor" &
    track $!
    wait_until 10 sh -c "redis-cli -p $R_PORT client list | grep -q cmd=monitor" || die "no MONITOR"
    rbus-stats --watch --json --duration 0 --interval 200ms > "$TEST_TMP/W.out" 2> /dev/null &
    local pid=$!
    track "$pid"
    wait_until 20 sh -c "[ \$(grep -c '' $TEST_TMP/W.out) -ge 4 ]" || die "fewer than 4 refreshes"
    kill -TERM "$pid"
    wait "$pid"
    expect_eq "$(jq -s 'map(.history.streams[0].groups[0].pending) | unique | join(",")' -r < "$TEST_TMP/W.out")" 1 "every refresh has the history"
    local xlen scans
    xlen=$(grep -c '"XLEN" "rbus:dlq"' "$TEST_TMP/monitor")
    scans=$(grep -c '"SCAN" "0" "COUNT" "1000" "TYPE" "string"' "$TEST_TMP/monitor")
    [ "$xlen" -ge 4 ] || die "the DLQ read $xlen time(s) in 4 refreshes"
    expect_eq "$scans" 1 "the keyspace walked once, not on every refresh"
}

cluster_history_across_masters() {
    start_redis_cluster C 3 || die "no cluster"
    local p port=${C_PORTS%% *} out rc ch
    ccli() { redis-cli -c -p "$port" "$@"; }
    for ch in a b c d e f; do
        ccli xadd "rbus:history:{raptorflow.events.$ch}" '*' envelope '{}' > /dev/null
    done
    ccli xgroup create 'rbus:history:{raptorflow.events.b}' g 0 > /dev/null
    ccli xreadgroup group g c1 count 1 streams 'rbus:history:{raptorflow.events.b}' '>' > /dev/null
    ccli xadd rbus:dlq '*' envelope '{}' reason max_retries_exceeded > /dev/null
    for p in $(seq 40); do ccli setex "msg:raptorflow.events.x:id-$p" 3600 v > /dev/null; done
    ccli setex dlq:sys.dlq.routing_error:u-1 3600 '{}' > /dev/null
    ccli setex msg:sys.global.heartbeat:b-1 60 "$(beat res-9 "$(now)")" > /dev/null
    local spread=0
    for p in $C_PORTS; do [ "$(redis-cli -p "$p" dbsize)" -gt 0 ] && spread=$((spread + 1)); done
    [ "$spread" -ge 2 ] || die "the keys are not spread over the masters"
    out=$(rbus-stats -u "$C_URL" --json --duration 0 2> "$TEST_TMP/c.err") || die "rbus-stats: $(cat "$TEST_TMP/c.err")"
    expect_eq "$(jq -c '[.history.error, (.history.streams | map(.channel) | join(","))]' <<< "$out")" \
        '[null,"raptorflow.events.a,raptorflow.events.b,raptorflow.events.c,raptorflow.events.d,raptorflow.events.e,raptorflow.events.f"]' \
        "every stream, from every master"
    expect_eq "$(jq -c '.history.streams[1].groups[0] | [.group, .pending, .lag]' <<< "$out")" '["g",1,0]' "the group"
    expect_eq "$(jq -c '.history | [.dlq.rbus.length, .dlq.raptorbus.records, .persisted.by_channel["raptorflow.events.x"], .persisted.complete, .agents_alive]' <<< "$out")" \
        '[1,1,40,true,1]' "DLQs, persisted counts and agents summed over the masters"
    out=$(rbus-stats -u "$C_URL" --check --max-pending 1 --max-dlq 1 --min-agents 1); rc=$?
    expect_code "$rc" 0 "within the thresholds"
    out=$(rbus-stats -u "redis://127.0.0.1:$port" --check --max-pending 0 2> /dev/null); rc=$?
    expect_code "$rc" 1 "a group over --max-pending, from one node's URL"
    expect_match "$out" "^FAIL .*: group g on raptorflow\.events\.b has 1 pending > 0" "FAIL line"
}

refused_command_said() {
    seed
    cli acl setuser limited on nopass '~*' '&*' '+@all' '-xinfo' > /dev/null
    local url="redis://limited:any@127.0.0.1:$R_PORT" out rc
    out=$(rbus-stats -u "$url" --no-auth-warning --json --duration 0 2> "$TEST_TMP/acl.err"); rc=$?
    expect_code "$rc" 0 "the rest of the report stands"
    expect_match "$(jq -r .history.error <<< "$out")" "^history, consumer groups, DLQ and agents not read: the server refused: NOPERM" "said in --json"
    expect_match "$(cat "$TEST_TMP/acl.err")" "WARN .*the server refused: NOPERM" "and on stderr"
    out=$(rbus-stats -u "$url" --no-auth-warning --check --max-pending 5 2> /dev/null); rc=$?
    expect_code "$rc" 1 "a history check that could not read the history fails"
    expect_match "$out" "^FAIL .*: history, consumer groups, DLQ and agents not read: the server refused: NOPERM" "FAIL line"
    cli acl deluser limited > /dev/null
}

case_ "--json: streams, groups, both DLQs, persisted counts, agents" json_reports_history
case_ "table: HISTORY, GROUPS, DLQ, PERSISTED, AGENTS; names escaped" table_sections_escaped
case_ "--check --max-pending --max-dlq --max-lag --min-agents" check_thresholds
case_ "history thresholds: usage errors, wrong key type exit 2" check_usage
case_ "--scan-limit: past it, at least" scan_limit_says_at_least
case_ "agents heard live on sys.global.heartbeat" live_heartbeats
case_ "--prometheus: history families" prometheus_families
case_ "--watch: history each refresh, keyspace walked once" watch_does_not_rescan
case_ "a command the server refuses (ACL): said, the rest reported" refused_command_said
case_ "Redis Cluster: history, groups, DLQs and agents across three masters" cluster_history_across_masters
