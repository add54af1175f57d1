#include "bus.h"

#include <fmt/format.h>

#include "error.h"
#include "log.h"

namespace rbus {
namespace {

std::unique_ptr<Transport> open_transport(const ConnectOptions& o) {
    const RedisUrl& url = o.url;
    if (o.tls.enabled)
        throw UsageError(fmt::format("TLS ({}) is not built into this version of rbus yet", url.redacted()));
    if (url.scheme == UrlScheme::sentinel)
        throw UsageError(fmt::format("Sentinel URLs ({}) are not built into this version of rbus yet", url.redacted()));
    if (url.scheme == UrlScheme::unix_socket)
        return SocketTransport::connect_unix(url.socket_path, o.connect_timeout);
    // Cluster seeds: plain pub/sub works through any node, so the first
    // reachable seed is enough.
    std::string errors;
    for (const HostPort& hp : url.hosts) {
        try {
            return SocketTransport::connect_tcp(hp.host, hp.port, o.connect_timeout);
        } catch (const ConnectError& e) {
            if (!errors.empty()) errors += "; ";
            errors += e.what();
        }
    }
    throw ConnectError(errors.empty() ? std::string("no host in URL") : errors);
}

}  // namespace

std::unique_ptr<Connection> connect_bus(const ConnectOptions& o, std::string_view client_name) {
    auto conn = std::make_unique<Connection>(open_transport(o));
    const RedisUrl& url = o.url;
    auto timeout = o.connect_timeout;
    try {
        if (!url.password.empty()) {
            if (!url.username.empty())
                conn->command({"AUTH", url.username, url.password}, timeout);
            else
                conn->command({"AUTH", url.password}, timeout);
        }
    } catch (const ReplyError& e) {
        throw ConnectError(fmt::format("authentication to {} failed: {}", url.redacted(), e.what()));
    }
    try {
        conn->command({"CLIENT", "SETNAME", client_name}, timeout);
    } catch (const ReplyError& e) {
        std::string_view msg = e.what();
        if (msg.rfind("NOAUTH", 0) == 0)
            throw ConnectError(fmt::format(
                "{} requires a password: use --password-file, RAPTORBUS_PASSWORD or a URL with one",
                url.redacted()));
        // Other refusals (e.g. a proxy without CLIENT) are harmless.
        logger().debug(fmt::format("CLIENT SETNAME refused: {}", msg));
    }
    if (url.db != 0) {
        try {
            conn->command({"SELECT", std::to_string(url.db)}, timeout);
        } catch (const ReplyError& e) {
            throw ConnectError(fmt::format("cannot select database {} on {}: {}", url.db, url.redacted(), e.what()));
        }
    }
    logger().debug(fmt::format("connected to {} via {}", url.redacted(), conn->peer()));
    return conn;
}

}  // namespace rbus
