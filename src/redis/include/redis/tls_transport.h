// TLS over OpenSSL on a connected, non-blocking socket: the Transport that
// rediss:// and --tls use (Debian's hiredis 0.14 has no TLS of its own).
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <memory>
#include <string>

#include "redis/transport.h"

namespace rbus {

struct TlsOptions {
    bool enabled = false;
    std::string cacert;   // PEM CA bundle; empty: the system's CAs
    std::string cert, key;  // client certificate and key (PEM), together or neither
    std::string sni;      // name sent and verified; empty: the URL's host
    bool insecure = false;  // no verification at all
};

struct SslCtxDeleter {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslDeleter {
    void operator()(SSL* s) const { SSL_free(s); }
};

// The client side's settings, loaded once before connecting so that a bad
// file is reported (UsageError) before any network traffic.
class TlsClientContext {
public:
    explicit TlsClientContext(const TlsOptions& options);
    SSL_CTX* get() const { return ctx_.get(); }
    const TlsOptions& options() const { return options_; }

private:
    TlsOptions options_;
    std::unique_ptr<SSL_CTX, SslCtxDeleter> ctx_;
};

class TlsTransport : public Transport {
public:
    // Runs the handshake on `socket` for `host` (the URL's host; --sni
    // overrides it), bounded by `timeout`. Throws ConnectError with the
    // reason in words: verification (expired, unknown CA, wrong name),
    // a server that does not speak TLS, a refused client certificate.
    static std::unique_ptr<TlsTransport> handshake(std::unique_ptr<SocketTransport> socket,
                                                   const TlsClientContext& context, const std::string& host,
                                                   std::chrono::milliseconds timeout);

    void write_all(std::string_view data, Deadline deadline) override;
    // Returns bytes OpenSSL already decrypted (SSL_pending) before polling the socket.
    std::size_t read_some(char* buf, std::size_t len, Deadline deadline) override;
    std::string peer() const override { return socket_->peer() + " (TLS)"; }
    int fd() const override { return socket_->fd(); }
    // Protocol and cipher, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384".
    std::string session_description() const;

private:
    TlsTransport(std::unique_ptr<SocketTransport> socket, std::unique_ptr<SSL, SslDeleter> ssl)
        : socket_(std::move(socket)), ssl_(std::move(ssl)) {}
    std::unique_ptr<SocketTransport> socket_;
    std::unique_ptr<SSL, SslDeleter> ssl_;
};

// X509_V_ERR_* in words, with a hint at the fix, e.g. "certificate has
// expired (the server's certificate is out of date, or this clock is wrong)".
std::string describe_verify_error(long code, const std::string& name);

// The reason of a failed TLS operation (the OpenSSL error queue, drained),
// with a hint for common ones: a plain-text server, a refused client certificate.
std::string describe_tls_failure(unsigned long err, int ssl_error, int saved_errno);

}  // namespace rbus
