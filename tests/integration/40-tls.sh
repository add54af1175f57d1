#!/usr/bin/env bash
# TLS against TLS-only redis-servers, with a CA and certificates made here:
# verified connections, each verification failure in words (exit 3),
# --insecure, SNI, mutual TLS.
. "$(dirname "$0")/../lib.sh"

C=$TEST_TMP/certs
mkdir -p "$C"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() {  # ca NAME: a self-signed CA
    key "$C/$1.key"
    openssl req -x509 -new -key "$C/$1.key" -out "$C/$1.crt" -days 3650 -subj "/CN=rbus test $1" 2>/dev/null
}
issue() {  # issue NAME CA DAYS EXTENSIONS: a certificate signed by CA
    key "$C/$1.key"
    openssl req -new -key "$C/$1.key" -out "$C/$1.csr" -subj "/CN=$1" 2>/dev/null
    openssl x509 -req -in "$C/$1.csr" -CA "$C/$2.crt" -CAkey "$C/$2.key" -CAcreateserial -days "$3" \
        -extfile <(printf '%s\n' "$4") -out "$C/$1.crt" 2>/dev/null
}
{
    ca ca && ca otherca &&
    issue server ca 365 "subjectAltName=DNS:localhost,IP:127.0.0.1" &&
    issue otherhost ca 365 "subjectAltName=DNS:otherhost" &&
    issue expired ca -1 "subjectAltName=DNS:localhost,IP:127.0.0.1" &&
    issue client ca 365 "extendedKeyUsage=clientAuth"
} || { echo "FAIL openssl could not make the test certificates"; exit 1; }

start_redis_tls GOOD "$C/server.crt" "$C/server.key" "$C/ca.crt" || exit 1
start_redis_tls OTHER "$C/otherhost.crt" "$C/otherhost.key" "$C/ca.crt" || exit 1
start_redis_tls OLD "$C/expired.crt" "$C/expired.key" "$C/ca.crt" || exit 1
start_redis_tls MUTUAL "$C/server.crt" "$C/server.key" "$C/ca.crt" --tls-auth-clients yes || exit 1
GOOD_URL=rediss://localhost:$GOOD_PORT

verified_publish_and_subscribe() {
    bg_ready S rbus-subscribe -u "$GOOD_URL" --cacert "$C/ca.crt" agent.task_started --count 1
    rbus-publish -q -u "$GOOD_URL" --cacert "$C/ca.crt" agent.task_started agent_id=RES-001 || die "publish failed"
    wait "$S_PID"; local rc=$?
    expect_code "$rc" 0 "subscribe over TLS"
    expect_eq "$(jq -r .payload.agent_id < "$TEST_TMP/S.out")" RES-001 "event over TLS"
    expect_eq "$(cat "$TEST_TMP/S.err")" "" "no diagnostics"
    # By address: the certificate holds IP:127.0.0.1.
    rbus-publish -q -u "rediss://127.0.0.1:$GOOD_PORT" --cacert "$C/ca.crt" agent.by_address || die "by address"
}

tls_flag_and_debug_log() {
    local err
    err=$(rbus-publish -vv --tls -u "redis://localhost:$GOOD_PORT" --cacert "$C/ca.crt" agent.x 2>&1 >/dev/null) ||
        die "--tls failed: $err"
    expect_match "$err" "TLS to localhost:$GOOD_PORT \\(TLS\\): TLSv1\\.[23] " "debug line names the protocol"
}

# expect_tls_failure WHAT REGEX TOOL ARGS...: exit 3 and one error line matching REGEX.
expect_tls_failure() {
    local what=$1 regex=$2 err rc; shift 2
    err=$("$@" 2>&1 >/dev/null); rc=$?
    expect_code "$rc" 3 "$what"
    expect_lines "$err" 1 "one line for $what"
    expect_match "$err" "$regex" "$what"
}

unknown_ca() {
    expect_tls_failure "system CAs only" "^rbus-publish: error: TLS certificate of localhost:$GOOD_PORT rejected: .*unknown CA: give the CA's certificate with --cacert" \
        rbus-publish -u "$GOOD_URL" agent.x
    expect_tls_failure "another CA" "rejected: .*(self-signed|local issuer).*unknown CA" \
        rbus-publish -u "$GOOD_URL" --cacert "$C/otherca.crt" agent.x
    expect_tls_failure "subscribe, unknown CA" "^rbus-subscribe: error: .*unknown CA" \
        rbus-subscribe -u "$GOOD_URL" agent.x --count 1
}

wrong_host_name() {
    expect_tls_failure "certificate for otherhost, address used" \
        'rejected: .*wrong host name: the certificate is not for "127\.0\.0\.1"' \
        rbus-publish -u "rediss://127.0.0.1:$OTHER_PORT" --cacert "$C/ca.crt" agent.x
    expect_tls_failure "--sni names another host" 'rejected: .*wrong host name: the certificate is not for "nothere"' \
        rbus-publish -u "$GOOD_URL" --cacert "$C/ca.crt" --sni nothere agent.x
    # --sni names the host the certificate is for.
    rbus-publish -q -u "rediss://127.0.0.1:$OTHER_PORT" --cacert "$C/ca.crt" --sni otherhost agent.x ||
        die "--sni otherhost should verify"
}

expired_certificate() {
    expect_tls_failure "expired" "rejected: certificate has expired \\(expired or not yet valid" \
        rbus-publish -u "rediss://localhost:$OLD_PORT" --cacert "$C/ca.crt" agent.x
}

insecure_connects_with_warning() {
    local err
    err=$(rbus-publish -u "rediss://127.0.0.1:$OLD_PORT" --insecure agent.x 2>&1 >/dev/null) || die "--insecure failed: $err"
    expect_match "$err" "^WARN bus - --insecure: the server's certificate is not verified" "warning"
    expect_lines "$err" 1 "only the warning"
}

mutual_tls() {
    expect_tls_failure "no client certificate" "(certificate required|closed|lost).*give --cert and --key" \
        rbus-publish -u "rediss://localhost:$MUTUAL_PORT" --cacert "$C/ca.crt" agent.x
    rbus-publish -q -u "rediss://localhost:$MUTUAL_PORT" --cacert "$C/ca.crt" --cert "$C/client.crt" \
        --key "$C/client.key" agent.x || die "mutual TLS with --cert/--key failed"
    bg_ready M rbus-subscribe -u "rediss://localhost:$MUTUAL_PORT" --cacert "$C/ca.crt" --cert "$C/client.crt" \
        --key "$C/client.key" agent.mtls --count 1
    rbus-publish -q -u "rediss://localhost:$MUTUAL_PORT" --cacert "$C/ca.crt" --cert "$C/client.crt" \
        --key "$C/client.key" agent.mtls n:=1 || die "publish failed"
    wait "$M_PID" || die "subscriber failed"
    expect_eq "$(jq -r .payload.n < "$TEST_TMP/M.out")" 1 "event over mutual TLS"
}

bad_files_and_plain_ports() {
    local err rc
    err=$(rbus-publish -u "$GOOD_URL" --cacert "$C/none.crt" agent.x 2>&1); rc=$?
    expect_code "$rc" 2 "missing --cacert file"
    expect_match "$err" "cannot read CA certificate \\(--cacert\\) .*none.crt: No such file" "message"
    err=$(rbus-publish -u "$GOOD_URL" --cacert "$C/ca.crt" --cert "$C/client.crt" --key "$C/server.key" agent.x 2>&1)
    rc=$?
    expect_code "$rc" 2 "key does not match"
    expect_match "$err" "does not match" "mismatch message"
    err=$(rbus-publish -u "$GOOD_URL" --cacert "$C/ca.crt" --cert "$C/client.crt" agent.x 2>&1); rc=$?
    expect_code "$rc" 2 "--cert without --key"
    # TLS to a plain-text server, and plain text to a TLS server.
    start_redis PLAIN || die "no plain server"
    # (Redis waits for the end of an inline command that the ClientHello never sends.)
    expect_tls_failure "TLS to a plain port" \
        "error: TLS handshake with 127.0.0.1:$PLAIN_PORT timed out after 500ms \\(does this port speak TLS\\?\\)" \
        rbus-publish -u "rediss://127.0.0.1:$PLAIN_PORT" --connect-timeout 500ms agent.x
    expect_tls_failure "plain to a TLS port" "error: .*(closed|lost)" \
        rbus-publish -u "redis://127.0.0.1:$GOOD_PORT" agent.x
    err=$(rbus-publish -u "$PLAIN_URL" --cacert "$C/ca.crt" agent.x 2>&1 >/dev/null) || die "plain publish failed"
    expect_match "$err" "^WARN bus - --cacert ignored: the connection is not TLS" "unused TLS option warned"
}

handshake_timeout() {
    # A listener that accepts and never answers the ClientHello.
    local port err rc start
    port=$(free_port)
    python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5); open(sys.argv[2], "w").close()
c=[s.accept() for _ in range(5)]; time.sleep(30)' "$port" "$TEST_TMP/mute.ready" &
    track $!
    wait_until 10 test -e "$TEST_TMP/mute.ready" || die "listener not ready"
    start=$SECONDS
    err=$(rbus-publish -u "rediss://127.0.0.1:$port" --connect-timeout 500ms agent.x 2>&1); rc=$?
    expect_code "$rc" 3 "handshake timeout"
    expect_match "$err" "TLS handshake with 127.0.0.1:$port timed out after 500ms" "message"
    [ $((SECONDS - start)) -le 3 ] || die "took $((SECONDS - start))s"
}

case_ "verified TLS: publish and subscribe (--cacert, name and address)" verified_publish_and_subscribe
case_ "--tls on a redis:// URL; -vv names the TLS version" tls_flag_and_debug_log
case_ "unknown CA exits 3 in words" unknown_ca
case_ "wrong host name exits 3 in words; --sni" wrong_host_name
case_ "expired certificate exits 3 in words" expired_certificate
case_ "--insecure connects with a warning" insecure_connects_with_warning
case_ "mutual TLS: refused without --cert/--key, works with them" mutual_tls
case_ "bad certificate files exit 2; TLS/plain port mix-ups exit 3" bad_files_and_plain_ports
case_ "the TLS handshake is bounded by --connect-timeout" handshake_timeout
