#!/usr/bin/env bash
# Unix sockets (with a password and ?db=N) and the config file: where it is
# found, what it sets, precedence flag > environment > config > default, and
# errors naming FILE:LINE.
. "$(dirname "$0")/../lib.sh"

PW='Un1x-S3cret-pw'
start_redis_unix U --requirepass "$PW" || exit 1
start_redis R || exit 1
printf '%s\n' "$PW" > "$TEST_TMP/pw"
ucli() { redis-cli -s "$U_SOCK" --no-auth-warning -a "$PW" "$@"; }
ctx() { jq -r ".$1" <<< "$2"; }  # ctx FIELD JSON

unix_socket_publish_subscribe() {
    bg_ready S rbus-subscribe -u "unix://$U_SOCK?db=2" --password-file "$TEST_TMP/pw" agent.unix --count 1
    expect_match "$(ucli client list)" "db=2 .*name=rbus-subscribe|name=rbus-subscribe .*db=2" "?db=2 selected"
    rbus-publish -q -u "unix://$U_SOCK" agent.unix n:=5 --password-file "$TEST_TMP/pw" || die "publish failed"
    wait "$S_PID" || die "subscriber failed: $(cat "$TEST_TMP/S.err")"
    expect_eq "$(jq -r .payload.n < "$TEST_TMP/S.out")" 5 "event over the Unix socket"
    local err rc
    err=$(rbus-publish -u "unix://$U_SOCK" agent.unix 2>&1); rc=$?
    expect_code "$rc" 3 "no password"
    err=$(rbus-publish -u "unix://$TEST_TMP/none.sock" agent.unix 2>&1); rc=$?
    expect_code "$rc" 3 "missing socket"
    expect_match "$err" "cannot connect to unix socket $TEST_TMP/none.sock: No such file" "message"
    err=$(rbus-publish --tls -u "unix://$U_SOCK" agent.unix 2>&1); rc=$?
    expect_code "$rc" 2 "TLS over a Unix socket"
    expect_match "$err" "TLS over a Unix socket .* is not supported" "message"
}

config_sets_connection_and_context() {
    mkdir -p "$TEST_TMP/cfg"
    printf '%s\n' "$PW" > "$TEST_TMP/cfg/secret"
    cat > "$TEST_TMP/cfg/rbus.toml" <<EOF
# every tool
url = "unix://$U_SOCK"
password-file = "secret"   # relative to this file
prefix = "cfg.bus"
workspace-id = "ws-cfg"

[publish]
correlation-id = "corr-pub"
source-agent-id = 42
EOF
    bg_ready S rbus-subscribe --config "$TEST_TMP/cfg/rbus.toml" agent.cfg --count 1
    expect_eq "$(ucli pubsub numsub cfg.bus.agent.cfg | sed -n 2p)" 1 "subscribed on the config's prefix"
    local out
    out=$(rbus-publish --config "$TEST_TMP/cfg/rbus.toml" agent.cfg) || die "publish failed"
    expect_eq "$(jq -r '[.workspace_id,.request_id,.source_agent_id]|join(" ")' <<< "$out")" "ws-cfg corr-pub 42" "ids"
    wait "$S_PID" || die "subscriber failed: $(cat "$TEST_TMP/S.err")"
    expect_eq "$(jq -r .workspace_id < "$TEST_TMP/S.out")" ws-cfg "received"
    # [publish] is for rbus-publish only.
    out=$(rbus-subscribe --config "$TEST_TMP/cfg/rbus.toml" --print-context agent.cfg) || die "print-context"
    expect_eq "$(ctx correlation_id "$out")" null "[publish] not used by rbus-subscribe"
    expect_eq "$(ctx password "$out")" "***" "password"
    expect_eq "$(ctx password_source "$out")" "config $TEST_TMP/cfg/rbus.toml:3" "password source names FILE:LINE"
}

precedence_flag_env_config_default() {
    cat > "$TEST_TMP/p.toml" <<'EOF'
prefix = "cfg.prefix"
workspace-id = "ws-cfg"
connect-timeout = "2s"
fail-soft = true
color = "always"
log-format = "json"
[tail]
workspace-id = "ws-tail"
EOF
    local out
    out=$(rbus-publish --config "$TEST_TMP/p.toml" --print-context x.y) || die "print-context"
    expect_eq "$(ctx prefix "$out")/$(ctx prefix_source "$out")" "cfg.prefix/config $TEST_TMP/p.toml:1" "config"
    expect_eq "$(ctx workspace_id "$out")" ws-cfg "top level"
    expect_eq "$(ctx connect_timeout_ms "$out") $(ctx fail_soft "$out") $(ctx color "$out") $(ctx log_format "$out")" \
        "2000 true always json" "other keys"
    expect_eq "$(ctx correlation_id_source "$out")" default "default"
    out=$(rbus-tail --config "$TEST_TMP/p.toml" --print-context) || die "print-context"
    expect_eq "$(ctx workspace_id "$out")" ws-tail "section beats top level"
    out=$(RAPTORBUS_CHANNEL_PREFIX=env.prefix RAPTORBUS_FAIL_SOFT=0 NO_COLOR=1 \
        rbus-publish --config "$TEST_TMP/p.toml" --print-context x.y) || die "print-context"
    expect_eq "$(ctx prefix "$out")/$(ctx prefix_source "$out")" "env.prefix/RAPTORBUS_CHANNEL_PREFIX" "env beats config"
    expect_eq "$(ctx fail_soft "$out")" false "RAPTORBUS_FAIL_SOFT=0 beats config"
    expect_eq "$(ctx color "$out")/$(ctx color_source "$out")" "auto/NO_COLOR" "NO_COLOR beats config"
    out=$(RAPTORBUS_CHANNEL_PREFIX=env.prefix rbus-publish --config "$TEST_TMP/p.toml" --prefix flag.prefix \
        --color never --print-context x.y) || die "print-context"
    expect_eq "$(ctx prefix "$out")/$(ctx prefix_source "$out")" "flag.prefix/--prefix" "flag beats env"
    expect_eq "$(ctx color "$out")" never "flag beats config"
    # The config's URL loses to REDIS_URL, which loses to --url.
    echo "url = \"redis://cfg.example:1\"" > "$TEST_TMP/u.toml"
    out=$(REDIS_URL=redis://env.example:2 rbus-tail --config "$TEST_TMP/u.toml" --print-context)
    expect_eq "$(ctx url "$out")" "redis://env.example:2/0" "REDIS_URL beats config"
    out=$(rbus-tail --config "$TEST_TMP/u.toml" --print-context)
    expect_eq "$(ctx url_source "$out")" "config $TEST_TMP/u.toml:1" "config url"
}

where_the_file_is_found() {
    local out
    mkdir -p "$XDG_CONFIG_HOME/rbus" "$TEST_TMP/home/.config/rbus"
    echo 'prefix = "xdg"' > "$XDG_CONFIG_HOME/rbus/config.toml"
    echo 'prefix = "home"' > "$TEST_TMP/home/.config/rbus/config.toml"
    echo 'prefix = "env"' > "$TEST_TMP/env.toml"
    echo 'prefix = "flag"' > "$TEST_TMP/flag.toml"
    expect_eq "$(ctx prefix "$(rbus-publish --print-context x.y)")" xdg '$XDG_CONFIG_HOME/rbus/config.toml'
    expect_eq "$(ctx prefix "$(env -u XDG_CONFIG_HOME HOME="$TEST_TMP/home" rbus-publish --print-context x.y)")" home \
        '~/.config/rbus/config.toml'
    expect_eq "$(ctx prefix "$(RAPTORBUS_CONFIG=$TEST_TMP/env.toml rbus-publish --print-context x.y)")" env RAPTORBUS_CONFIG
    out=$(RAPTORBUS_CONFIG=$TEST_TMP/env.toml rbus-publish --config "$TEST_TMP/flag.toml" --print-context x.y)
    expect_eq "$(ctx prefix "$out")/$(ctx config "$out")" "flag/$TEST_TMP/flag.toml" "--config beats RAPTORBUS_CONFIG"
    rm "$XDG_CONFIG_HOME/rbus/config.toml"
    out=$(rbus-publish --print-context x.y) || die "no config file is fine"
    expect_eq "$(ctx config "$out")" null "no config"
    local err rc
    err=$(rbus-publish --config "$TEST_TMP/none.toml" x.y 2>&1); rc=$?
    expect_code "$rc" 2 "--config names a missing file"
    expect_eq "$err" "rbus-publish: error: cannot read config file $TEST_TMP/none.toml: No such file or directory" "message"
    err=$(RAPTORBUS_CONFIG=$TEST_TMP/none.toml rbus-publish x.y 2>&1); rc=$?
    expect_code "$rc" 2 "RAPTORBUS_CONFIG names a missing file"
}

bad_config_names_file_and_line() {
    local f=$TEST_TMP/bad.toml err rc
    check_bad() {  # check_bad REGEX: the config in $f is refused with exit 2 and one line
        err=$(rbus-publish --config "$f" x.y 2>&1); rc=$?
        expect_code "$rc" 2 "bad config: $(cat "$f")"
        expect_lines "$err" 1 "one line"
        expect_match "$err" "^rbus-publish: error: $f:$1" "message"
    }
    printf 'prefix = "a"\n\nworkspace = "ws"\n' > "$f"
    check_bad '3: unknown key "workspace"'
    printf 'prefix = "a"\nprefix = \n' > "$f"
    check_bad '2: invalid config: '
    printf '# ok\ntls = "yes"\n' > "$f"
    check_bad '2: tls must be true or false'
    printf 'prefix = ["a"]\n' > "$f"
    check_bad '1: prefix must be a string'
    printf '[publsh]\nprefix = "a"\n' > "$f"
    check_bad '1: unknown section \[publsh\]'
    printf '[tail]\nprefx = "a"\n' > "$f"
    check_bad '2: unknown key "prefx"'
    printf 'url = "ftp://u:Cfg-S3cret@h"\n' > "$f"
    check_bad '1: unsupported URL scheme "ftp"'
    expect_no "$err" Cfg-S3cret "password in the error"
    printf 'connect-timeout = "soon"\n' > "$f"
    err=$(rbus-publish --config "$f" x.y 2>&1); rc=$?
    expect_code "$rc" 2 "bad duration"
    expect_match "$err" "\\(from config $f:1\\)" "bad duration names the file"
}

case_ "a Unix socket with a password and ?db=N" unix_socket_publish_subscribe
case_ "the config file sets URL, password file, prefix and ids; [publish] only for publish" config_sets_connection_and_context
case_ "precedence: flag > environment > config file > default" precedence_flag_env_config_default
case_ "the config file: --config, RAPTORBUS_CONFIG, XDG_CONFIG_HOME, ~/.config" where_the_file_is_found
case_ "a bad config file exits 2 naming FILE:LINE" bad_config_names_file_and_line
