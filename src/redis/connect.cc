#include "redis/connect.h"

#include <optional>
#include <utility>

#include <fmt/format.h>

#include "base/error.h"
#include "base/log.h"
#include "redis/sentinel.h"
#include "redis/tls_transport.h"

namespace rbus {
namespace {

// TLS settings given for a plain connection do nothing: say so, since the
// user evidently expected TLS.
void warn_unused_tls_options(const TlsOptions& t) {
    std::string given;
    for (auto [name, set] : {std::pair{"--cacert", !t.cacert.empty()}, {"--cert", !t.cert.empty()},
                             {"--sni", !t.sni.empty()}, {"--insecure", t.insecure}})
        if (set) given += given.empty() ? name : std::string(", ") + name;
    static bool warned = false;  // once per process, not on every reconnect
    if (!given.empty() && !std::exchange(warned, true))
        logger().warn("{} ignored: the connection is not TLS (use rediss:// or --tls)", given);
}

std::unique_ptr<Transport> open_transport(const ConnectOptions& o) {
    const RedisUrl& url = o.url;
    std::optional<TlsClientContext> tls;
    if (o.tls.enabled) {
        if (url.scheme == UrlScheme::unix_socket)
            throw UsageError(fmt::format("TLS over a Unix socket ({}) is not supported: use unix:// without --tls",
                                         url.redacted()));
        static bool warned = false;  // once per process, not on every reconnect
        if (o.tls.insecure && !std::exchange(warned, true))
            logger().security("--insecure: the server's certificate is not verified; the connection and the password "
                              "can be intercepted");
        tls.emplace(o.tls);  // bad certificate files fail here, before connecting
    } else {
        warn_unused_tls_options(o.tls);
    }
    if (url.scheme == UrlScheme::unix_socket)
        return SocketTransport::connect_unix(url.socket_path, o.connect_timeout);
    // Cluster seeds: plain pub/sub works through any node, so the first
    // reachable seed is enough.
    std::string errors;
    for (const HostPort& hp : url.hosts) {
        try {
            auto socket = SocketTransport::connect_tcp(hp.host, hp.port, o.connect_timeout);
            if (!tls) return socket;
            auto secure = TlsTransport::handshake(std::move(socket), *tls, hp.host, o.connect_timeout);
            logger().debug("TLS to {}: {}", secure->peer(), secure->session_description());
            return secure;
        } catch (const ConnectError& e) {
            if (!errors.empty()) errors += "; ";
            errors += e.what();
        }
    }
    throw ConnectError(errors.empty() ? std::string("no host in URL") : errors);
}

// AUTH, CLIENT SETNAME, SELECT: the first commands on a new connection.
void greet(Connection& conn, const ConnectOptions& o, std::string_view client_name, Greeting greeting) {
    const RedisUrl& url = o.url;
    auto timeout = o.connect_timeout;
    try {
        if (!url.password.empty()) {
            if (!url.username.empty())
                conn.command({"AUTH", url.username, url.password}, timeout);
            else
                conn.command({"AUTH", url.password}, timeout);
        }
    } catch (const ReplyError& e) {
        throw ConnectError(fmt::format("authentication to {} failed: {}", url.redacted(), e.what()));
    }
    auto setname_refused = [redacted = url.redacted()](std::string_view msg) {
        if (msg.rfind("NOAUTH", 0) == 0)
            throw ConnectError(fmt::format(
                "{} requires a password: use --password-file, RAPTORBUS_PASSWORD or a URL with one", redacted));
        // Other refusals (e.g. a proxy without CLIENT) are harmless.
        logger().debug("CLIENT SETNAME refused: {}", msg);
    };
    if (greeting == Greeting::pipelined && !o.tls.enabled) {
        conn.append({"CLIENT", "SETNAME", client_name});
        conn.defer_reply(
            [setname_refused](const redisReply& r) {
                if (r.type == REDIS_REPLY_ERROR) setname_refused(reply_text(&r));
            },
            timeout);
    } else {
        try {
            conn.command({"CLIENT", "SETNAME", client_name}, timeout);
        } catch (const ReplyError& e) {
            setname_refused(e.what());
        }
    }
    if (url.db != 0) {
        try {
            conn.command({"SELECT", std::to_string(url.db)}, timeout);
        } catch (const ReplyError& e) {
            throw ConnectError(fmt::format("cannot select database {} on {}: {}", url.db, url.redacted(), e.what()));
        }
    }
}

}  // namespace

std::unique_ptr<Connection> connect_bus(const ConnectOptions& o, std::string_view client_name, Greeting greeting) {
    // Sentinel: ask the sentinels for the master, then connect_bus to it.
    if (o.url.scheme == UrlScheme::sentinel) return connect_sentinel_master(o, client_name);
    auto conn = std::make_unique<Connection>(open_transport(o));
    conn->set_max_reply_bytes(o.max_reply_bytes);
    try {
        greet(*conn, o, client_name, greeting);
    } catch (const TimeoutError&) {
        throw;
    } catch (const IoError& e) {
        // A server that wants a client certificate completes a TLS 1.3
        // handshake, then drops the connection at the first command.
        if (!o.tls.enabled || !o.tls.cert.empty() || std::string_view(e.what()).find("--cert") != std::string_view::npos)
            throw;
        throw ConnectError(fmt::format("{} (if the server requires client certificates, give --cert and --key)",
                                       e.what()));
    }
    logger().debug("connected to {} via {}", o.url.redacted(), conn->peer());
    return conn;
}

}  // namespace rbus
