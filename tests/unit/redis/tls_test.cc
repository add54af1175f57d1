#include <doctest/doctest.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <cerrno>

#include <string>

#include "base/error.h"
#include "redis/tls_transport.h"

using namespace rbus;

namespace {

std::string context_error(const TlsOptions& o) {
    try {
        TlsClientContext context(o);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("verification failures in words") {
    CHECK(describe_verify_error(X509_V_ERR_CERT_HAS_EXPIRED, "h") ==
          "certificate has expired (expired or not yet valid: renew the server's certificate, or check this "
          "machine's clock)");
    for (long code : {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
                      X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY})
        CHECK(describe_verify_error(code, "h").find("(unknown CA: give the CA's certificate with --cacert") !=
              std::string::npos);
    CHECK(describe_verify_error(X509_V_ERR_HOSTNAME_MISMATCH, "bus.example") ==
          "hostname mismatch (wrong host name: the certificate is not for \"bus.example\"; connect by a name it "
          "holds, or set --sni)");
    CHECK(describe_verify_error(X509_V_ERR_IP_ADDRESS_MISMATCH, "10.0.0.1").find("not for \"10.0.0.1\"") !=
          std::string::npos);
    CHECK(describe_verify_error(X509_V_ERR_CERT_REVOKED, "h") == "certificate revoked");
}

TEST_CASE("other TLS failures in words") {
    CHECK(describe_tls_failure(0, SSL_ERROR_SYSCALL, 0).find("closed the connection") != std::string::npos);
    CHECK(describe_tls_failure(0, SSL_ERROR_SYSCALL, ECONNRESET) == "Connection reset by peer");
    unsigned long wrong_version = ERR_PACK(ERR_LIB_SSL, 0, SSL_R_WRONG_VERSION_NUMBER);
    CHECK(describe_tls_failure(wrong_version, SSL_ERROR_SSL, 0).find("does not speak TLS on this port") !=
          std::string::npos);
    unsigned long cert_required = ERR_PACK(ERR_LIB_SSL, 0, SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED);
    CHECK(describe_tls_failure(cert_required, SSL_ERROR_SSL, 0).find("give --cert and --key") != std::string::npos);
}

TEST_CASE("client context: unreadable or mismatched files are usage errors") {
    TlsOptions o;
    o.enabled = true;
    CHECK(context_error(o).empty());  // the system's CAs
    o.cacert = "/nonexistent/ca.pem";
    CHECK(context_error(o) == "cannot read CA certificate (--cacert) /nonexistent/ca.pem: No such file or directory");
    o.insecure = true;  // nothing is verified, so no CA file is read
    CHECK(context_error(o).empty());
    o = TlsOptions{};
    o.cert = "/nonexistent/c.pem";
    CHECK(context_error(o) == "--cert and --key must be given together");
    o.key = "/nonexistent/k.pem";
    CHECK(context_error(o) == "cannot read client certificate (--cert) /nonexistent/c.pem: No such file or directory");
    o.cert = "/etc/hostname";  // not a certificate
    CHECK(context_error(o).rfind("cannot read client key (--key) /nonexistent/k.pem", 0) == 0);
    o.key = "/etc/hostname";
    CHECK(context_error(o).rfind("cannot use client certificate /etc/hostname: ", 0) == 0);
}
