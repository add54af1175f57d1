#!/usr/bin/env bash
# Passwords and ACL users from every source against a server with
# requirepass and an ACL user; wrong secrets exit 3; and no byte that any
# command prints (stdout and stderr, -v/-vv, errors) contains a secret.
. "$(dirname "$0")/../lib.sh"

PW='Def4ult-S3cret-pw'
ALICE_PW='Al1ce-S3cret-pw'
WRONG_PW='Wr0ng-S3cret-pw'
start_redis R --requirepass "$PW" || exit 1
redis-cli -p "$R_PORT" --no-auth-warning -a "$PW" acl setuser alice on ">$ALICE_PW" '~*' '&*' '+@all' >/dev/null ||
    { echo "FAIL could not create the ACL user"; exit 1; }
HOSTPORT=127.0.0.1:$R_PORT
ALL=$TEST_TMP/all-output
: > "$ALL"
printf '%s\n' "$PW" > "$TEST_TMP/pw"
chmod 600 "$TEST_TMP/pw"  # a password file only we can read: no warning
printf '%s\n' "$ALICE_PW" > "$TEST_TMP/alice-pw"
printf '%s\n' "$WRONG_PW" > "$TEST_TMP/wrong-pw"

# run CMD...: stdout in $OUT, stderr in $ERR, exit code in $RC; every byte
# is also kept in $ALL for the final secret check.
run() {
    "$@" > "$TEST_TMP/run.out" 2> "$TEST_TMP/run.err"
    RC=$?
    OUT=$(cat "$TEST_TMP/run.out")
    ERR=$(cat "$TEST_TMP/run.err")
    cat "$TEST_TMP/run.out" "$TEST_TMP/run.err" >> "$ALL"
}

expect_published() {  # expect_published WHAT: the last run published and printed its envelope
    expect_code "$RC" 0 "$1: $ERR"
    expect_match "$OUT" '"type":"agent.auth"' "$1 printed the envelope"
}

password_from_each_source() {
    run rbus-publish -u "redis://:$PW@$HOSTPORT" agent.auth
    expect_published "password in the URL"
    expect_match "$ERR" "^WARN bus - a password in --url is visible to other users" "argv warning"
    run rbus-publish -u "redis://$HOSTPORT" --password-file "$TEST_TMP/pw" agent.auth
    expect_published "--password-file"
    expect_eq "$ERR" "" "no warning for --password-file"
    RAPTORBUS_PASSWORD=$PW run rbus-publish -u "redis://$HOSTPORT" agent.auth
    expect_published "RAPTORBUS_PASSWORD"
    REDIS_URL="redis://:$PW@$HOSTPORT" run rbus-publish agent.auth
    expect_published "REDIS_URL with a password"
    expect_eq "$ERR" "" "no argv warning for REDIS_URL"
    UPSTASH_REDIS_URL="redis://default@$HOSTPORT" UPSTASH_REDIS_TOKEN=$PW run rbus-publish agent.auth
    expect_published "UPSTASH_REDIS_URL + UPSTASH_REDIS_TOKEN"
    UPSTASH_REDIS_URL="redis://$HOSTPORT" UPSTASH_REDIS_TOKEN=$PW run rbus-publish -vv agent.auth
    expect_published "UPSTASH_REDIS_URL without a user"
}

acl_user() {
    run rbus-publish -u "redis://alice:$ALICE_PW@$HOSTPORT" agent.auth
    expect_published "user:password in the URL"
    run rbus-publish -u "redis://alice@$HOSTPORT" --password-file "$TEST_TMP/alice-pw" agent.auth
    expect_published "user in the URL, --password-file"
    RAPTORBUS_PASSWORD=$ALICE_PW run rbus-publish -vv -u "redis://alice@$HOSTPORT" agent.auth
    expect_published "user in the URL, RAPTORBUS_PASSWORD"
    # The ACL user really is the one connected: CLIENT LIST names it.
    bg_ready A rbus-subscribe -u "redis://alice@$HOSTPORT" --password-file "$TEST_TMP/alice-pw" agent.auth --count 1
    expect_match "$(redis-cli -p "$R_PORT" --no-auth-warning -a "$PW" client list)" "name=rbus-subscribe .*user=alice" \
        "subscriber authenticated as alice"
    run rbus-publish -q -vv -u "redis://alice@$HOSTPORT" --password-file "$TEST_TMP/alice-pw" agent.auth n:=1
    wait "$A_PID"; local rc=$?
    cat "$TEST_TMP/A.out" "$TEST_TMP/A.err" >> "$ALL"
    expect_code "$rc" 0 "subscriber as alice"
    expect_eq "$(jq -r .payload.n < "$TEST_TMP/A.out")" 1 "event received as alice"
}

wrong_or_missing_secret_exits_3() {
    local tool
    for tool in rbus-publish rbus-subscribe rbus-tail rbus-stats; do
        local what=agent.auth
        [ "$tool" = rbus-stats ] && what=--json
        run "$tool" -vv -u "redis://$HOSTPORT" --password-file "$TEST_TMP/wrong-pw" "$what"
        expect_code "$RC" 3 "$tool with a wrong password"
        expect_match "$ERR" "$tool: error: authentication to redis://\\*\\*\\*@127\\.0\\.0\\.1:$R_PORT/0 failed: WRONGPASS" "$tool message"
    done
    run rbus-publish -u "redis://alice:$WRONG_PW@$HOSTPORT" agent.auth
    expect_code "$RC" 3 "ACL user, wrong password"
    expect_match "$ERR" "error: authentication to redis://alice:\\*\\*\\*@127\\.0\\.0\\.1:$R_PORT/0 failed" "redacted URL"
    RAPTORBUS_PASSWORD=$WRONG_PW run rbus-publish -v agent.auth -u "redis://$HOSTPORT"
    expect_code "$RC" 3 "wrong RAPTORBUS_PASSWORD"
    UPSTASH_REDIS_URL="redis://default@$HOSTPORT" UPSTASH_REDIS_TOKEN=$WRONG_PW run rbus-publish agent.auth
    expect_code "$RC" 3 "wrong UPSTASH_REDIS_TOKEN"
    run rbus-publish -u "redis://$HOSTPORT" agent.auth
    expect_code "$RC" 3 "no password"
    expect_match "$ERR" "requires a password: use --password-file, RAPTORBUS_PASSWORD or a URL with one" "hint"
    run rbus-publish --fail-soft -u "redis://:$WRONG_PW@$HOSTPORT" agent.auth
    expect_code "$RC" 0 "--fail-soft with a wrong password"
    run rbus-publish -u "redis://:$WRONG_PW@$HOSTPORT" --password-file /nonexistent agent.auth
    expect_code "$RC" 3 "the URL's password wins over --password-file"
}

upstash_rest_url_refused() {
    UPSTASH_REDIS_URL="https://default:$PW@eu1-x.upstash.io" run rbus-publish agent.auth
    expect_code "$RC" 2 "https URL"
    expect_match "$ERR" "is not supported: use the rediss:// endpoint of your Upstash database" "hint"
}

print_context_hides_secrets() {
    RAPTORBUS_PASSWORD=$PW run rbus-publish --print-context -u "redis://alice@$HOSTPORT" agent.auth
    expect_code "$RC" 0 "--print-context"
    expect_eq "$(jq -r .url <<< "$OUT")" "redis://alice:***@127.0.0.1:$R_PORT/0" "url"
    expect_eq "$(jq -r .password <<< "$OUT")" "***" "password"
    expect_eq "$(jq -r .password_source <<< "$OUT")" "RAPTORBUS_PASSWORD" "password source"
    run rbus-tail --print-context -u "redis://u:$PW@$HOSTPORT"
    expect_eq "$(jq -r .url <<< "$OUT")" "redis://u:***@127.0.0.1:$R_PORT/0" "url redacted"
    expect_eq "$(jq -r .password_source <<< "$OUT")" "url (--url)" "password from the URL"
}

no_secret_anywhere() {
    local s
    [ -s "$ALL" ] || die "nothing captured"
    for s in "$PW" "$ALICE_PW" "$WRONG_PW"; do
        ! grep -qF -- "$s" "$ALL" || die "secret printed: $(grep -F -- "$s" "$ALL" | head -3)"
    done
}

case_ "the password from the URL, --password-file, RAPTORBUS_PASSWORD, Upstash token" password_from_each_source
case_ "an ACL user from the URL with each secret source" acl_user
case_ "a wrong or missing secret exits 3 (every tool)" wrong_or_missing_secret_exits_3
case_ "an Upstash https:// URL is refused with the rediss:// hint" upstash_rest_url_refused
case_ "--print-context hides the password" print_context_hides_secrets
case_ "no output, log or error of any command above contains a secret" no_secret_anywhere
