#!/usr/bin/env bash
# redis-cli and CI habits: a lone URL userinfo is the password (and never
# shown), environment values as Python and CI write them (INFO, true,
# host:port without a scheme), and bad ones named in one line.
. "$(dirname "$0")/../lib.sh"

PW='s3cretPW-lone'
start_redis R --requirepass "$PW" || exit 1
start_redis P || exit 1
HOSTPORT=127.0.0.1:$R_PORT

lone_userinfo_is_the_password() {
    local out err rc=0
    out=$(rbus-publish -u "redis://$PW@$HOSTPORT" agent.lone 2> "$TEST_TMP/err") || rc=$?
    err=$(cat "$TEST_TMP/err")
    expect_code "$rc" 0 "redis://PASSWORD@host authenticates as redis-cli does: $err"
    expect_match "$out" '"type":"agent.lone"' "published"
    expect_no "$err" "$PW" "stderr"
    # A wrong lone password: the error shows ***@, never the text.
    rc=0
    rbus-publish -u "redis://Wr0ngPW-lone@$HOSTPORT" agent.lone > "$TEST_TMP/out" 2> "$TEST_TMP/err" || rc=$?
    err=$(cat "$TEST_TMP/err")
    expect_code "$rc" 3 "wrong password"
    expect_match "$err" "rbus-publish: error: authentication to redis://\\*\\*\\*@127.0.0.1:$R_PORT/0 failed" "masked as ***@"
    expect_no "$err$(cat "$TEST_TMP/out")" "Wr0ngPW-lone" "the wrong password in output"
    # A server without a password refuses AUTH: still masked.
    rc=0
    rbus-publish -u "redis://Wr0ngPW-lone@127.0.0.1:$P_PORT" agent.lone > "$TEST_TMP/out" 2> "$TEST_TMP/err" || rc=$?
    expect_no "$(cat "$TEST_TMP/out" "$TEST_TMP/err")" "Wr0ngPW-lone" "AUTH refused by a server without password"
    # With a password from elsewhere, a lone userinfo names the ACL user (redis://alice@host --password-file).
    redis-cli -p "$R_PORT" --no-auth-warning -a "$PW" acl setuser bob on '>b0b-pw' '~*' '&*' '+@all' >/dev/null ||
        die "acl setuser"
    printf 'b0b-pw\n' > "$TEST_TMP/bob-pw"
    rc=0
    rbus-publish -q -u "redis://bob@$HOSTPORT" --password-file "$TEST_TMP/bob-pw" agent.bob 2> "$TEST_TMP/err" || rc=$?
    expect_code "$rc" 0 "user in the URL, password from a file: $(cat "$TEST_TMP/err")"
}

masked_in_check_and_debug_logs() {
    local out err
    out=$(rbus-stats --check -u "redis://$PW@$HOSTPORT" -vv 2> "$TEST_TMP/err")
    err=$(cat "$TEST_TMP/err")
    expect_match "$out" "^OK redis://\*\*\*@$HOSTPORT" "--check stdout shows ***@"
    expect_match "$err" "DEBUG bus - connected to redis://\*\*\*@$HOSTPORT" "-vv log shows ***@"
    expect_no "$out$err" "$PW" "--check and -vv"
    out=$(rbus-publish -u "redis://alice:$PW@$HOSTPORT" --print-context agent.x 2>&1)
    expect_match "$out" "\"url\":\"redis://alice:\*\*\*@$HOSTPORT/0\"" "user:***@"
    out=$(REDIS_URL="redis://$PW@$HOSTPORT" rbus-subscribe --print-context 2>&1)
    expect_match "$out" "\"url\":\"redis://\*\*\*@$HOSTPORT/0\"" "--print-context ***@"
    expect_no "$out" "$PW" "--print-context"
}

log_level_as_python_writes_it() {
    local err rc=0
    err=$(RAPTORBUS_LOG_LEVEL=INFO rbus-publish -u "redis://127.0.0.1:$P_PORT" -q agent.lvl 2>&1 >/dev/null) || rc=$?
    expect_code "$rc" 0 "RAPTORBUS_LOG_LEVEL=INFO with -q"
    err=$(RAPTORBUS_LOG_LEVEL=INFO rbus-publish -u "redis://127.0.0.1:$P_PORT" agent.lvl 2>&1 >/dev/null) || rc=$?
    expect_code "$rc" 0 "RAPTORBUS_LOG_LEVEL=INFO"
    expect_match "$err" "^INFO bus - Published event agent.lvl" "INFO level in effect"
    rc=0
    err=$(RAPTORBUS_LOG_LEVEL=loud rbus-publish --dry-run agent.lvl 2>&1 >/dev/null) || rc=$?
    expect_code "$rc" 2 "RAPTORBUS_LOG_LEVEL=loud"
    expect_lines "$err" 1 "one line"
    expect_match "$err" '^rbus-publish: error: invalid RAPTORBUS_LOG_LEVEL "loud"' "names the variable"
}

fail_soft_spellings() {
    local v err rc
    for v in true yes on TRUE 1; do
        rc=0
        err=$(RAPTORBUS_FAIL_SOFT=$v rbus-publish -u redis://127.0.0.1:1 agent.soft 2>&1 >/dev/null) || rc=$?
        expect_code "$rc" 0 "RAPTORBUS_FAIL_SOFT=$v"
        expect_match "$err" "^WARN bus - bus unreachable, continuing" "RAPTORBUS_FAIL_SOFT=$v warns"
    done
    for v in false no off 0; do
        rc=0
        RAPTORBUS_FAIL_SOFT=$v rbus-publish -u redis://127.0.0.1:1 agent.soft >/dev/null 2>&1 || rc=$?
        expect_code "$rc" 3 "RAPTORBUS_FAIL_SOFT=$v"
    done
    rc=0
    err=$(RAPTORBUS_FAIL_SOFT=maybe rbus-publish --dry-run agent.soft 2>&1 >/dev/null) || rc=$?
    expect_code "$rc" 2 "RAPTORBUS_FAIL_SOFT=maybe"
    expect_match "$err" '^rbus-publish: error: invalid RAPTORBUS_FAIL_SOFT "maybe"' "names the variable"
}

redis_url_without_scheme() {
    local out rc=0
    out=$(REDIS_URL=127.0.0.1:$P_PORT rbus-publish agent.noscheme 2>"$TEST_TMP/err") || rc=$?
    expect_code "$rc" 0 "REDIS_URL=host:port: $(cat "$TEST_TMP/err")"
    expect_match "$out" '"type":"agent.noscheme"' "published"
    out=$(REDIS_URL=localhost:6379 rbus-subscribe --print-context)
    expect_match "$out" '"url":"redis://localhost:6379/0","url_source":"REDIS_URL"' "read as redis://"
    rc=0
    out=$(REDIS_URL='nope://x' rbus-publish agent.x 2>&1) || rc=$?
    expect_code "$rc" 2 "REDIS_URL=nope://x"
    expect_match "$out" '^rbus-publish: error: REDIS_URL: unsupported URL scheme' "names the variable"
}

case_ "a lone userinfo is the password (masked as ***@), or the user beside --password-file" lone_userinfo_is_the_password
case_ "--check stdout, -vv and --print-context mask it" masked_in_check_and_debug_logs
case_ "RAPTORBUS_LOG_LEVEL=INFO and a bad level" log_level_as_python_writes_it
case_ "RAPTORBUS_FAIL_SOFT=true|yes|on and false|no|off" fail_soft_spellings
case_ "REDIS_URL=host:port without a scheme" redis_url_without_scheme
