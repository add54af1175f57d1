#include "redis/tls_transport.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "base/error.h"

namespace rbus {
namespace {

bool is_ip_literal(const std::string& name) {
    unsigned char buf[sizeof(in6_addr)];
    return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

// An encrypted key must fail with a message, not prompt on the terminal.
extern "C" int no_passphrase(char*, int, int, void*) { return 0; }

// The OpenSSL error queue's first entry in words, and the queue drained.
std::string drain_errors() {
    unsigned long err = ERR_get_error();
    ERR_clear_error();
    if (err == 0) return "unknown reason";
    const char* reason = ERR_reason_error_string(err);
    return reason ? reason : fmt::format("OpenSSL error {:#x}", err);
}

// Whether the error queue held this reason; the queue is drained.
bool queue_had(int lib, int reason) {
    bool found = false;
    while (unsigned long e = ERR_get_error())
        if (ERR_GET_LIB(e) == lib && ERR_GET_REASON(e) == reason) found = true;
    return found;
}

void check_readable(const std::string& path, std::string_view what) {
    if (::access(path.c_str(), R_OK) != 0)
        throw UsageError(fmt::format("cannot read {} {}: {}", what, path, std::strerror(errno)));
}

std::size_t clamp_int(std::size_t n) { return n > INT_MAX ? INT_MAX : n; }

}  // namespace

TlsClientContext::TlsClientContext(const TlsOptions& o) : options_(o), ctx_(SSL_CTX_new(TLS_client_method())) {
    if (!ctx_) throw Error(fmt::format("cannot create a TLS context: {}", drain_errors()));
    SSL_CTX* ctx = ctx_.get();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
    if (o.insecure) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    } else {
        if (!o.cacert.empty()) {
            check_readable(o.cacert, "CA certificate (--cacert)");
            if (SSL_CTX_load_verify_locations(ctx, o.cacert.c_str(), nullptr) != 1)
                throw UsageError(fmt::format("cannot use CA certificate {}: {}", o.cacert, drain_errors()));
        } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
            throw ConnectError(fmt::format("cannot load the system's CA certificates: {}", drain_errors()));
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    }
    if (!o.cert.empty() || !o.key.empty()) {
        if (o.cert.empty() || o.key.empty()) throw UsageError("--cert and --key must be given together");
        check_readable(o.cert, "client certificate (--cert)");
        check_readable(o.key, "client key (--key)");
        if (SSL_CTX_use_certificate_chain_file(ctx, o.cert.c_str()) != 1)
            throw UsageError(fmt::format("cannot use client certificate {}: {}", o.cert, drain_errors()));
        if (SSL_CTX_use_PrivateKey_file(ctx, o.key.c_str(), SSL_FILETYPE_PEM) != 1) {
            unsigned long first = ERR_peek_error();
            if (queue_had(ERR_LIB_X509, X509_R_KEY_VALUES_MISMATCH))
                throw UsageError(fmt::format("client key {} does not match certificate {}", o.key, o.cert));
            const char* reason = ERR_reason_error_string(first);
            throw UsageError(fmt::format("cannot use client key {}: {} (an encrypted key is not supported)", o.key,
                                         reason ? reason : "unreadable"));
        }
        if (SSL_CTX_check_private_key(ctx) != 1)
            throw UsageError(fmt::format("client key {} does not match certificate {}", o.key, o.cert));
    }
}

std::unique_ptr<TlsTransport> TlsTransport::handshake(std::unique_ptr<SocketTransport> socket,
                                                      const TlsClientContext& context, const std::string& host,
                                                      std::chrono::milliseconds timeout) {
    const TlsOptions& o = context.options();
    const std::string& name = o.sni.empty() ? host : o.sni;
    std::unique_ptr<SSL, SslDeleter> ssl(SSL_new(context.get()));
    if (!ssl) throw Error(fmt::format("cannot create a TLS session: {}", drain_errors()));
    SSL* s = ssl.get();
    SSL_set_fd(s, socket->fd());
    // SNI carries names only (RFC 6066); an address is still verified below.
    if (!is_ip_literal(name)) SSL_set_tlsext_host_name(s, name.c_str());
    // SSL_set1_host checks an address against the certificate's IP SANs.
    if (!o.insecure && SSL_set1_host(s, name.c_str()) != 1)
        throw UsageError(fmt::format("invalid TLS server name \"{}\"", name));

    std::string where = socket->peer();
    Deadline deadline = deadline_after(timeout);
    ERR_clear_error();
    for (;;) {
        int rc = SSL_connect(s);
        if (rc == 1) break;
        int err = SSL_get_error(s, rc);
        int saved_errno = errno;
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
            if (!wait_fd(socket->fd(), err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline) && deadline &&
                Clock::now() >= *deadline)
                throw ConnectError(
                    fmt::format("TLS handshake with {} timed out after {}ms (does this port speak TLS?)", where,
                                timeout.count()));
            continue;
        }
        long verify = SSL_get_verify_result(s);
        if (!o.insecure && verify != X509_V_OK) {
            ERR_clear_error();
            throw ConnectError(fmt::format("TLS certificate of {} rejected: {}", where,
                                           describe_verify_error(verify, name)));
        }
        unsigned long first = ERR_peek_error();
        ERR_clear_error();
        throw ConnectError(fmt::format("TLS handshake with {} failed: {}", where,
                                       describe_tls_failure(first, err, saved_errno)));
    }
    return std::unique_ptr<TlsTransport>(new TlsTransport(std::move(socket), std::move(ssl)));
}

std::string TlsTransport::session_description() const {
    return fmt::format("{} {}", SSL_get_version(ssl_.get()), SSL_get_cipher_name(ssl_.get()));
}

void TlsTransport::write_all(std::string_view data, Deadline deadline) {
    while (!data.empty()) {
        ERR_clear_error();
        int n = SSL_write(ssl_.get(), data.data(), static_cast<int>(clamp_int(data.size())));
        if (n > 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        int err = SSL_get_error(ssl_.get(), n);
        int saved_errno = errno;
        if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
            if (!wait_fd(socket_->fd(), err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline) && deadline &&
                Clock::now() >= *deadline)
                throw TimeoutError(fmt::format("write to {} timed out", peer()));
            continue;
        }
        unsigned long first = ERR_peek_error();
        ERR_clear_error();
        throw IoError(fmt::format("connection to {} lost: {}", peer(), describe_tls_failure(first, err, saved_errno)));
    }
}

std::size_t TlsTransport::read_some(char* buf, std::size_t len, Deadline deadline) {
    for (;;) {
        // SSL_read first: a record may already be decrypted and buffered
        // (SSL_pending), in which case the socket itself has nothing to poll.
        ERR_clear_error();
        int n = SSL_read(ssl_.get(), buf, static_cast<int>(clamp_int(len)));
        if (n > 0) return static_cast<std::size_t>(n);
        int err = SSL_get_error(ssl_.get(), n);
        int saved_errno = errno;
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
            if (!wait_fd(socket_->fd(), err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) return 0;
            continue;
        }
        if (err == SSL_ERROR_SYSCALL && saved_errno == EINTR) return 0;
        unsigned long first = ERR_peek_error();
        ERR_clear_error();
        bool eof = err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && first == 0 && saved_errno == 0) ||
                   (ERR_GET_LIB(first) == ERR_LIB_SSL && ERR_GET_REASON(first) == SSL_R_UNEXPECTED_EOF_WHILE_READING);
        if (eof) throw IoError(fmt::format("connection to {} closed by the server", peer()));
        throw IoError(fmt::format("connection to {} failed: {}", peer(), describe_tls_failure(first, err, saved_errno)));
    }
}

std::string describe_verify_error(long code, const std::string& name) {
    std::string what = X509_verify_cert_error_string(code);
    std::string hint;
    switch (code) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
        hint = "expired or not yet valid: renew the server's certificate, or check this machine's clock";
        break;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        hint = "unknown CA: give the CA's certificate with --cacert, or skip verification with --insecure";
        break;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        hint = fmt::format("wrong host name: the certificate is not for \"{}\"; connect by a name it holds, or set --sni",
                           name);
        break;
    default:
        break;
    }
    return hint.empty() ? what : fmt::format("{} ({})", what, hint);
}

std::string describe_tls_failure(unsigned long err, int ssl_error, int saved_errno) {
    if (err == 0) {
        if (ssl_error == SSL_ERROR_SYSCALL && saved_errno != 0) return std::strerror(saved_errno);
        if (ssl_error == SSL_ERROR_SYSCALL || ssl_error == SSL_ERROR_ZERO_RETURN)
            return "the server closed the connection during the TLS handshake (is this a TLS port?)";
        return fmt::format("TLS error {}", ssl_error);
    }
    const char* reason_text = ERR_reason_error_string(err);
    std::string what = reason_text ? reason_text : fmt::format("OpenSSL error {:#x}", err);
    if (ERR_GET_LIB(err) != ERR_LIB_SSL) return what;
    switch (ERR_GET_REASON(err)) {
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_HTTP_REQUEST:
    case SSL_R_RECORD_LENGTH_MISMATCH:
        return what + " (the server does not speak TLS on this port: use redis:// or its TLS port)";
    case SSL_R_UNEXPECTED_EOF_WHILE_READING:
        return "the server closed the connection during the TLS handshake (is this a TLS port?)";
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
        return what + " (the server requires a client certificate: give --cert and --key)";
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
        return what + " (the server refused the client certificate given with --cert)";
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
        return what + " (the server may require a client certificate (--cert, --key) or other TLS settings)";
    default:
        return what;
    }
}

}  // namespace rbus
