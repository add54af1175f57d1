#!/usr/bin/env bash
# rbus-tail on a terminal as people read it: columns that line up, ids
# shortened before the payload goes, invalid messages as a few dim lines
# rather than a WARN each, one notice per reconnect.
. "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || { echo "FAIL tmux: not installed"; exit 1; }
start_redis R || exit 1
SOCK=rbus-habits-$$
CH=raptorflow.events

tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null; cleanup' EXIT

# start_tail NAME WIDTH URL ARGS...: rbus-tail in a tmux pane (stdout and
# stderr on its terminal); returns once it is subscribed.
start_tail() {
    local name=$1 width=$2 url=$3; shift 3
    local ready=$TEST_TMP/$name.ready
    rm -f "$ready"
    tm new-session -d -s "$name" -x "$width" -y 30 \
        "env -u NO_COLOR -u CLICOLOR_FORCE TERM=screen TZ=UTC $BIN/rbus-tail -u $url --ready-file $ready $*; sleep 60"
    track "$(tm display-message -p -t "$name" '#{pid}')"
    wait_until 10 test -e "$ready" || die "rbus-tail did not start: $(tm capture-pane -p -t "$name")"
}
pane() { tm capture-pane -p -t "$1"; }
pane_has() { tmux -L "$SOCK" capture-pane -p -t "$1" | grep -q -- "$2"; }

columns_at_120() {
    start_tail w120 120 "$R_URL"
    redis-cli -p "$R_PORT" publish "$CH.model.inference_complete" '{"type":"model.inference_complete","id":"b1","payload":{"model":"gpt","tokens":12},"request_id":"6f1c2b9e-2d4a-4f7e-9c1a-0b5e8d7f3a21","workspace_id":"ws-123","timestamp":"2026-11-26T16:10:31.002000Z"}' >/dev/null
    redis-cli -p "$R_PORT" publish "$CH.agent.x" '{"type":"agent.x","id":"b2","payload":{"n":1},"request_id":"c-1","workspace_id":"ws-123","timestamp":"2026-11-26T16:10:32.000000Z"}' >/dev/null
    wait_until 10 pane_has w120 'agent.x' || die "events not shown: $(pane w120)"
    local long short
    long=$(pane w120 | grep 'model.inference_complete')
    short=$(pane w120 | grep ' agent.x ')
    # The UUID is shortened; the payload is whole.
    expect_match "$long" 'corr=6f1c2b9e… ' "correlation id shortened"
    expect_match "$long" '\{"model":"gpt","tokens":12\}' "payload kept whole"
    # ws= starts in the same column whatever the type's length.
    local a=${long%%ws=*} b=${short%%ws=*}
    expect_eq "${#a}" "${#b}" "ws= lines up"
}

invalid_messages_are_a_few_dim_lines() {
    start_tail inv 120 "$R_URL"
    local i cmds=
    for i in 1 2 3 4 5 6; do cmds+="PUBLISH $CH.junk.x not-json-$i"$'\n'; done
    printf '%s' "$cmds" | redis-cli -p "$R_PORT" >/dev/null  # one burst
    wait_until 10 pane_has inv 'skipped invalid message' || die "invalid not said: $(pane inv)"
    redis-cli -p "$R_PORT" publish "$CH.agent.after" '{"type":"agent.after","payload":{}}' >/dev/null
    wait_until 10 pane_has inv 'agent.after' || die "event after: $(pane inv)"
    local n
    n=$(pane inv | grep -c 'skipped invalid message')
    [ "$n" -lt 6 ] || die "one line per invalid message ($n): $(pane inv)"
    expect_no "$(pane inv)" "WARN" "no WARN lines on the terminal"
    expect_match "$(pane inv)" "skipped invalid message on $CH.junk.x: not-json-1 \(invalid JSON" "with a snippet"
    # Dim: the line's colour is SGR 2.
    tm capture-pane -p -e -t inv | grep 'skipped invalid' | grep -q $'\x1b\\[2m' || die "not dim"
}

invalid_messages_in_a_replay_are_all_said() {
    # Five invalid RaptorBus msg: keys replayed at once (--until): one notice
    # line, then, as the run ends, one more for the four it did not mention.
    local i
    for i in 1 2 3 4 5; do redis-cli -p "$R_PORT" setex "msg:$CH.junkr.x:bad-$i" 600 "not-json-$i" > /dev/null; done
    start_tail invr 120 "$R_URL" junkr.x --since 0 --until 0s
    wait_until 10 pane_has invr 'more invalid messages skipped' || die "the rest not said: $(pane invr)"
    expect_eq "$(pane invr | grep -c 'skipped invalid message on')" 1 "one notice for the burst"
    expect_match "$(pane invr)" "-- and 4 more invalid messages skipped --" "the other four counted"
}

one_notice_per_reconnect() {
    start_redis M || die "second server"
    local port=$M_PORT
    start_tail rc 120 "$M_URL"
    stop_pid "$M_PID"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$TEST_TMP" \
        --logfile "$TEST_TMP/m2.log" & track $!
    wait_until 20 pane_has rc 'reconnected after' || die "no reconnect notice: $(pane rc)"
    redis-cli -p "$port" publish "$CH.agent.back" '{"type":"agent.back","payload":{}}' >/dev/null
    wait_until 10 pane_has rc 'agent.back' || die "no event after the reconnect: $(pane rc)"
    expect_eq "$(pane rc | grep -c 'reconnected after')" 1 "one reconnect notice"
}

case_ "120 columns: ids shortened, ws= lined up" columns_at_120
case_ "invalid messages: a few dim lines with a snippet" invalid_messages_are_a_few_dim_lines
case_ "invalid messages in a replay: every one said (the last line counts those not shown)" invalid_messages_in_a_replay_are_all_said
case_ "a reconnect is said once" one_notice_per_reconnect
