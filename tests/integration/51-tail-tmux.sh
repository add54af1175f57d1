#!/usr/bin/env bash
# rbus-tail on a real terminal: tmux panes of 80 and 200 columns, events with
# fixed timestamps, the screen (with its colours) compared with
# tests/tmux/tail-<width>.txt. RBUS_UPDATE_TMUX=1 rewrites those files.
. "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || { echo "FAIL tmux: not installed"; exit 1; }
start_redis R || exit 1
EXPECTED=$ROOT/tests/tmux
SOCK=rbus-test-$$
CH=raptorflow.events

tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null; cleanup' EXIT
# A session that outlives the others: killing a width's session must not empty
# the server, or the next new-session can meet a server still exiting
# ("server exited unexpectedly" under load).
tm new-session -d -s keep -x 20 -y 2 "sleep 600" || { echo "FAIL tmux: cannot start a server"; exit 1; }

publish() {  # publish TYPE JSON-FIELDS: one envelope with a fixed id and timestamp
    redis-cli -p "$R_PORT" publish "$CH.$1" "{\"type\":\"$1\",$2}" >/dev/null
}

events() {
    publish agent.task_started '"id":"a1","payload":{"agent_id":"RES-001","task_type":"research"},"priority":"normal","request_id":"6f1c2b9e-2d4a-4f7e-9c1a-0b5e8d7f3a21","workspace_id":"ws-123","timestamp":"2026-11-26T16:10:30.237319Z"'
    publish model.inference_complete '"id":"a2","payload":{"model":"gpt","tokens":1234,"summary":"a long answer that goes on well past the edge of any reasonable terminal width, and then some more"},"priority":"high","request_id":"6f1c2b9e-2d4a-4f7e-9c1a-0b5e8d7f3a21","workspace_id":"ws-123","timestamp":"2026-11-26T16:10:31.002000Z"'
    publish agent.task_started '"id":"a3","payload":{"agent_id":"WRI-7","brief":"日本語のテキストと絵文字🚀がここに入ります、まだまだ続きます、まだまだ続きます、まだまだ続きます、まだまだ"},"priority":"low","request_id":"corr-other-flow","workspace_id":"ws-9","timestamp":"2026-11-26T16:10:31.500000Z"'
    publish agent.error '"id":"a4","payload":{"error":"timeout"},"priority":"normal","request_id":"6f1c2b9e-2d4a-4f7e-9c1a-0b5e8d7f3a21","workspace_id":"ws-123","timestamp":"2026-11-26T16:10:32.000000Z"'
    publish workflow.halted '"id":"a5","payload":{"reason":"budget"},"priority":"critical","request_id":null,"workspace_id":null,"timestamp":"2026-11-26T16:10:33.999999Z"'
}

screen_at_width() {
    local width=$1 name=tail-$1 ready=$TEST_TMP/tmux-$1.ready
    rm -f "$ready"
    tm new-session -d -s "$name" -x "$width" -y 12 \
        "env -u NO_COLOR -u CLICOLOR_FORCE TERM=screen TZ=UTC REDIS_URL=$R_URL $BIN/rbus-tail --count 5 --ready-file $ready; sleep 30"
    track "$(tm display-message -p -t "$name" '#{pid}')"
    wait_until 10 test -e "$ready" || die "rbus-tail did not start in tmux: $(tm capture-pane -p -t "$name")"
    events
    wait_until 10 sh -c "tmux -L '$SOCK' capture-pane -p -t '$name' | grep -q workflow.halted" ||
        die "events did not appear: $(tm capture-pane -p -t "$name")"
    # The pane's lines with their colours; empty lines at the bottom dropped.
    tm capture-pane -p -e -t "$name" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' > "$TEST_TMP/$name.txt"
    tm kill-session -t "$name"
    if [ "${RBUS_UPDATE_TMUX:-}" = 1 ]; then cp "$TEST_TMP/$name.txt" "$EXPECTED/$name.txt"; fi
    diff -u "$EXPECTED/$name.txt" "$TEST_TMP/$name.txt" >&2 || die "screen at $width columns differs from tests/tmux/$name.txt"
    # Never wider than the pane: no line wrapped.
    expect_eq "$(sed 's/\x1b\[[0-9;]*m//g' "$TEST_TMP/$name.txt" | grep -c '')" 5 "five rows, none wrapped"
}

at_80() { screen_at_width 80; }
at_200() { screen_at_width 200; }
case_ "tmux, 80 columns" at_80
case_ "tmux, 200 columns" at_200
