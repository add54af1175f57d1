#include "redis/sentinel.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "redis/connect.h"
#include "base/error.h"
#include "base/log.h"
#include "base/signals.h"
#include "base/tool_name.h"

namespace rbus {

std::string format_host_port(const HostPort& hp) {
    if (hp.host.find(':') != std::string::npos) return fmt::format("[{}]:{}", hp.host, hp.port);
    return fmt::format("{}:{}", hp.host, hp.port);
}

namespace {

bool is_text(const redisReply* r) {
    return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) && r->str;
}

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const std::string& p : parts) {
        if (!out.empty()) out += "; ";
        out += p;
    }
    return out;
}

std::string list_hosts(const std::vector<HostPort>& hosts) {
    std::string out;
    for (const HostPort& h : hosts) {
        if (!out.empty()) out += ',';
        out += format_host_port(h);
    }
    return out;
}

}  // namespace

std::optional<HostPort> parse_master_addr_reply(const redisReply* r) {
    if (r && r->type == REDIS_REPLY_NIL) return std::nullopt;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 || !is_text(r->element[0]) ||
        !is_text(r->element[1]))
        throw ProtocolError("unexpected reply to SENTINEL get-master-addr-by-name (is this a sentinel?)");
    HostPort hp;
    hp.host = std::string(reply_text(r->element[0]));
    std::string_view port = reply_text(r->element[1]);
    unsigned value = 0;
    bool digits = !port.empty() && port.size() <= 5;
    for (char c : port) {
        if (c < '0' || c > '9') digits = false;
        else value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (hp.host.empty() || !digits || value < 1 || value > 65535)
        throw ProtocolError(fmt::format("the sentinel gave an invalid master address \"{}:{}\"", hp.host, port));
    hp.port = static_cast<uint16_t>(value);
    return hp;
}

std::string parse_role_reply(const redisReply* r) {
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1 || !is_text(r->element[0]))
        throw ProtocolError("unexpected reply to ROLE");
    return std::string(reply_text(r->element[0]));
}

SentinelAnswer ask_sentinels(const std::vector<HostPort>& sentinels, const std::string& master_name,
                             const SentinelIo& io) {
    SentinelAnswer answer;
    std::vector<HostPort> order = sentinels;
    if (io.last_answered && !io.last_answered->empty()) {
        auto it = std::find_if(order.begin(), order.end(),
                               [&](const HostPort& s) { return format_host_port(s) == *io.last_answered; });
        if (it != order.end()) std::rotate(order.begin(), it, it + 1);  // it first, the others in their order
    }
    for (const HostPort& s : order) {
        std::string where = format_host_port(s);
        try {
            auto conn = io.open_sentinel(s);
            Reply r = conn->command({"SENTINEL", "get-master-addr-by-name", master_name}, io.command_timeout);
            answer.any_reachable = true;
            answer.master = parse_master_addr_reply(r.get());
            if (answer.master) {
                answer.sentinel = where;
                return answer;
            }
            answer.notes.push_back(fmt::format("sentinel {} does not know a master named \"{}\"", where, master_name));
        } catch (const ReplyError& e) {
            answer.any_reachable = true;
            answer.notes.push_back(fmt::format("sentinel {} refused: {}", where, e.what()));
        } catch (const ConnectError& e) {  // also IoError, TimeoutError, ProtocolError
            std::string_view msg = e.what();
            answer.notes.push_back(msg.find(where) == std::string_view::npos
                                       ? fmt::format("sentinel {}: {}", where, msg)
                                       : std::string(msg));
        }
    }
    return answer;
}

ResolvedMaster resolve_master(const std::vector<HostPort>& sentinels, const std::string& master_name,
                              std::chrono::milliseconds within, const SentinelIo& io) {
    const auto give_up_at = Clock::now() + within;
    for (;;) {
        SentinelAnswer answer = ask_sentinels(sentinels, master_name, io);
        if (!answer.any_reachable)
            throw ConnectError(fmt::format("no sentinel answered for master \"{}\": {}", master_name,
                                           join(answer.notes)));
        if (!answer.master)
            throw ConnectError(fmt::format("cannot resolve master \"{}\" through sentinel(s) {}: {}", master_name,
                                           list_hosts(sentinels), join(answer.notes)));
        std::string addr = format_host_port(*answer.master);
        std::string why;
        try {
            auto node = io.open_node(*answer.master);
            std::string role;
            try {
                role = parse_role_reply(node->command({"ROLE"}, io.command_timeout).get());
            } catch (const ReplyError& e) {
                // ROLE denied (ACL): the sentinel's word is all there is.
                logger().debug("ROLE refused by {}: {}; trusting the sentinel", addr, e.what());
                role = "master";
            }
            if (role == "master") {
                if (io.last_answered) *io.last_answered = answer.sentinel;  // its word checked out
                return {std::move(node), *answer.master, answer.sentinel};
            }
            why = fmt::format("{} (named by sentinel {}) is a {}, not a master", addr, answer.sentinel,
                              role == "slave" ? "replica" : role);
        } catch (const ConnectError& e) {
            why = fmt::format("master {} (named by sentinel {}): {}", addr, answer.sentinel, e.what());
        }
        // The node is down or demoted: a failover is probably under way. A sentinel
        // that named it is no longer the one to ask first.
        if (io.last_answered && *io.last_answered == answer.sentinel) io.last_answered->clear();
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up_at - Clock::now());
        if (left.count() <= 0 || !io.pause(std::min(left, std::chrono::milliseconds(200))))
            throw ConnectError(fmt::format("no master \"{}\" found within {}ms: {}", master_name, within.count(), why));
        logger().debug("{}; asking the sentinels again", why);
    }
}

namespace {

// The URL of one node behind the sentinels: same credentials, database and
// TLS, a single host.
ConnectOptions behind_sentinel(const ConnectOptions& o, const HostPort& hp) {
    ConnectOptions n = o;
    n.url.scheme = o.url.sentinel_tls ? UrlScheme::rediss : UrlScheme::redis;
    n.url.sentinel_tls = false;
    n.url.sentinel_master.clear();
    n.url.hosts = {hp};
    return n;
}

// Sentinels have their own password (--sentinel-password-file), no ACL user
// from the URL, and no databases.
ConnectOptions sentinel_options(const ConnectOptions& o, const HostPort& hp) {
    ConnectOptions s = behind_sentinel(o, hp);
    s.url.username.clear();
    s.url.password = o.sentinel_password;
    s.url.db = 0;
    return s;
}

std::unique_ptr<Connection> open_sentinel(const ConnectOptions& o, const HostPort& hp, std::string_view client) {
    try {
        return connect_bus(sentinel_options(o, hp), client);
    } catch (const ConnectError& e) {
        // connect_bus's messages name the data nodes' password and flags: not these.
        std::string_view msg = e.what();
        std::string where = format_host_port(hp);
        if (msg.find("requires a password") != std::string_view::npos)
            throw ConnectError(fmt::format(
                "sentinel {} requires a password: use --sentinel-password-file or RAPTORBUS_SENTINEL_PASSWORD", where));
        if (msg.rfind("authentication to ", 0) == 0) {
            std::size_t why = msg.find(" failed: ");
            throw ConnectError(fmt::format("authentication to sentinel {} failed{}{}", where,
                                           why == std::string_view::npos ? "" : ": ",
                                           why == std::string_view::npos ? "" : msg.substr(why + 9)));
        }
        throw;
    }
}

SentinelIo real_io(const ConnectOptions& o, std::string_view client_name) {
    SentinelIo io;
    std::string client(client_name);
    io.open_sentinel = [&o, client](const HostPort& hp) { return open_sentinel(o, hp, client); };
    io.open_node = [&o, client](const HostPort& hp) {
        check_credentials_target(o.cluster_hosts, {}, hp, "a sentinel");  // the data node: the sentinels' pick
        return connect_bus(behind_sentinel(o, hp), client);
    };
    io.pause = [](std::chrono::milliseconds d) { return sleep_unless_signal(d); };
    io.command_timeout = o.connect_timeout;
    static const auto last_answered = std::make_shared<std::string>();  // one process, one set of sentinels
    io.last_answered = last_answered;
    return io;
}

// The connection's peer() without its " (TLS)" note.
std::string_view peer_address(std::string_view peer) { return peer.substr(0, peer.find(' ')); }

}  // namespace

std::optional<std::string> moved_master(const SentinelAnswer& answer, std::string_view peer) {
    if (!answer.master) return std::nullopt;
    std::string addr = format_host_port(*answer.master);
    if (addr == peer_address(peer)) return std::nullopt;
    return addr;
}

std::unique_ptr<Connection> connect_sentinel_master(const ConnectOptions& o, std::string_view client_name) {
    const std::string& name = o.url.sentinel_master;
    ResolvedMaster m = resolve_master(o.url.hosts, name, o.connect_timeout, real_io(o, client_name));
    std::string addr = format_host_port(m.address);
    // The last address per master name: a change is a failover worth a warning.
    static std::map<std::string, std::string> last_seen;
    auto [it, first] = last_seen.try_emplace(name, addr);
    if (!first && it->second != addr) {
        logger().warn("master \"{}\" moved from {} to {} (sentinel {})", name, it->second, addr, m.sentinel);
        it->second = addr;
    } else {
        logger().info("master \"{}\" is {} (sentinel {})", name, addr, m.sentinel);
    }
    return std::move(m.conn);
}

void check_sentinel_master(const ConnectOptions& o, std::string_view peer) {
    SentinelIo io = real_io(o, tool_name());
    SentinelAnswer answer = ask_sentinels(o.url.hosts, o.url.sentinel_master, io);
    if (!answer.master) {
        logger().debug("master check skipped: {}", log_lazy([&] { return join(answer.notes); }));
        return;
    }
    if (auto moved = moved_master(answer, peer))
        throw IoError(fmt::format("sentinel {} reports master \"{}\" at {}, no longer {}", answer.sentinel,
                                  o.url.sentinel_master, *moved, peer_address(peer)));
    *io.last_answered = answer.sentinel;  // it names the master this connection was checked against
}

}  // namespace rbus
