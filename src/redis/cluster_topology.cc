#include "redis/cluster_topology.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "redis/connect.h"
#include "redis/crc16.h"
#include "base/error.h"
#include "base/log.h"

namespace rbus {

std::string node_name(const HostPort& node) {
    if (node.host.empty()) return "(local socket)";
    if (node.host.find(':') != std::string::npos) return fmt::format("[{}]:{}", node.host, node.port);
    return fmt::format("{}:{}", node.host, node.port);
}

bool same_node(const HostPort& a, const HostPort& b) { return a.port == b.port && a.host == b.host; }

std::optional<HostPort> ClusterTopology::owner(int slot) const {
    auto it = std::upper_bound(ranges.begin(), ranges.end(), slot,
                               [](int s, const SlotRange& r) { return s < r.first; });
    if (it == ranges.begin()) return std::nullopt;
    --it;
    if (slot > it->last) return std::nullopt;
    return it->master;
}

namespace {

void add_once(std::vector<HostPort>& nodes, const HostPort& n) {
    for (const HostPort& have : nodes)
        if (same_node(have, n)) return;
    nodes.push_back(n);
}

long long as_integer(const redisReply* r) {
    if (r->type == REDIS_REPLY_INTEGER) return r->integer;
    if (r->type == REDIS_REPLY_STRING) {
        long long v = 0;
        std::string_view t = reply_text(r);
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        if (ec == std::errc() && end == t.data() + t.size()) return v;
    }
    throw ProtocolError("unexpected CLUSTER SLOTS reply: a slot or port is not a number");
}

HostPort parse_node(const redisReply* r, std::string_view fallback_host) {
    // The host is nil under cluster-preferred-endpoint-type unknown-endpoint.
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
        (r->element[0]->type != REDIS_REPLY_STRING && r->element[0]->type != REDIS_REPLY_NIL))
        throw ProtocolError("unexpected CLUSTER SLOTS reply: a node is not [host, port, ...]");
    HostPort n;
    n.host = std::string(reply_text(r->element[0]));
    if (n.host.empty() || n.host == "?") n.host = std::string(fallback_host);
    long long port = as_integer(r->element[1]);
    if (port <= 0 || port > 65535) throw ProtocolError(fmt::format("unexpected CLUSTER SLOTS reply: port {}", port));
    n.port = static_cast<uint16_t>(port);
    return n;
}

}  // namespace

std::vector<HostPort> ClusterTopology::masters() const {
    std::vector<HostPort> out;
    for (const SlotRange& r : ranges) add_once(out, r.master);
    return out;
}

std::vector<HostPort> ClusterTopology::replicas() const {
    std::vector<HostPort> out;
    for (const SlotRange& r : ranges)
        for (const HostPort& rep : r.replicas) add_once(out, rep);
    return out;
}

ClusterTopology ClusterTopology::standalone(HostPort node) {
    ClusterTopology t;
    t.cluster = false;
    t.ranges.push_back(SlotRange{0, kClusterSlots - 1, std::move(node), {}, {}});
    return t;
}

ClusterTopology parse_cluster_slots(const redisReply* reply, std::string_view fallback_host) {
    if (!reply || reply->type != REDIS_REPLY_ARRAY) throw ProtocolError("unexpected CLUSTER SLOTS reply: not an array");
    ClusterTopology t;
    for (std::size_t i = 0; i < reply->elements; ++i) {
        const redisReply* e = reply->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 3)
            throw ProtocolError("unexpected CLUSTER SLOTS reply: a range is not [first, last, master, ...]");
        SlotRange r;
        long long first = as_integer(e->element[0]), last = as_integer(e->element[1]);
        if (first < 0 || last < first || last >= kClusterSlots)
            throw ProtocolError(fmt::format("unexpected CLUSTER SLOTS reply: slot range {}-{}", first, last));
        r.first = static_cast<int>(first);
        r.last = static_cast<int>(last);
        r.master = parse_node(e->element[2], fallback_host);
        if (e->element[2]->elements >= 3 && e->element[2]->element[2]->type == REDIS_REPLY_STRING)
            r.master_id = std::string(reply_text(e->element[2]->element[2]));
        for (std::size_t k = 3; k < e->elements; ++k) r.replicas.push_back(parse_node(e->element[k], fallback_host));
        t.ranges.push_back(std::move(r));
    }
    std::sort(t.ranges.begin(), t.ranges.end(), [](const SlotRange& a, const SlotRange& b) { return a.first < b.first; });
    for (std::size_t k = 1; k < t.ranges.size(); ++k) {  // one owner per slot, or owner() would guess
        const SlotRange &a = t.ranges[k - 1], &b = t.ranges[k];
        if (b.first <= a.last)
            throw ProtocolError(fmt::format("unexpected CLUSTER SLOTS reply: slots {}-{} and {}-{} overlap", a.first,
                                            a.last, b.first, b.last));
    }
    return t;
}

std::optional<Redirect> parse_redirect(std::string_view error, std::string_view fallback_host) {
    Redirect r;
    if (error.rfind("MOVED ", 0) == 0) {
        r.kind = Redirect::Kind::moved;
        error.remove_prefix(6);
    } else if (error.rfind("ASK ", 0) == 0) {
        r.kind = Redirect::Kind::ask;
        error.remove_prefix(4);
    } else {
        return std::nullopt;
    }
    std::size_t space = error.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    auto [end, ec] = std::from_chars(error.data(), error.data() + space, r.slot);
    if (ec != std::errc() || end != error.data() + space || r.slot < 0 || r.slot >= kClusterSlots) return std::nullopt;
    std::string_view addr = error.substr(space + 1);
    std::size_t colon = addr.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    unsigned port = 0;
    auto [pend, pec] = std::from_chars(addr.data() + colon + 1, addr.data() + addr.size(), port);
    if (pec != std::errc() || pend != addr.data() + addr.size() || port == 0 || port > 65535) return std::nullopt;
    std::string_view host = addr.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    // ":6381" (unknown-endpoint) and "?:6381" (hostname, none set): the host we asked.
    r.target.host = std::string(host.empty() || host == "?" ? fallback_host : host);
    r.target.port = static_cast<uint16_t>(port);
    return r;
}

std::vector<NodeChannels> group_by_owner(const ClusterTopology& topology, const std::vector<std::string>& channels) {
    std::vector<NodeChannels> groups;
    for (const std::string& ch : channels) {
        int slot = hash_slot(ch);
        std::optional<HostPort> owner = topology.owner(slot);
        if (!owner) throw Error(fmt::format("no cluster node serves slot {} (channel {}): is the cluster down?", slot, ch));
        auto it = std::find_if(groups.begin(), groups.end(),
                               [&](const NodeChannels& g) { return same_node(g.node, *owner); });
        if (it == groups.end()) {
            groups.push_back(NodeChannels{*owner, {}});
            it = groups.end() - 1;
        }
        it->channels.push_back(ch);
    }
    return groups;
}

ConnectOptions node_options(const ConnectOptions& base, const HostPort& node) {
    ConnectOptions o = base;
    if (node.host.empty()) return o;  // the URL's own Unix socket
    check_credentials_target(base.cluster_hosts, base.url.hosts, node, "the cluster's topology");
    if (o.url.scheme == UrlScheme::unix_socket) o.url.scheme = UrlScheme::redis;
    o.url.hosts = {node};
    return o;
}

ClusterTopology read_topology(Connection& conn, const HostPort& self, std::chrono::milliseconds timeout) {
    try {
        Reply r = conn.command({"CLUSTER", "SLOTS"}, timeout);
        ClusterTopology t = parse_cluster_slots(r.get(), self.host);
        if (t.ranges.empty())
            throw ConnectError(fmt::format("{} is a cluster node that serves no slots yet", node_name(self)));
        return t;
    } catch (const ReplyError& e) {
        std::string_view why = e.what();
        // "ERR This instance has cluster support disabled", or a proxy without
        // CLUSTER ("ERR unknown command"): one server. Anything else (NOPERM,
        // LOADING) is not a topology to guess.
        if (why.find("cluster support disabled") == std::string_view::npos &&
            why.find("unknown command") == std::string_view::npos)
            throw ConnectError(fmt::format("{} refused CLUSTER SLOTS: {}", node_name(self), why));
        logger().debug("{}: cluster support disabled: a standalone server", node_name(self));
        return ClusterTopology::standalone(self);
    }
}

ClusterTopology discover_topology(const ConnectOptions& options, std::string_view client_name,
                                  const std::vector<HostPort>& known) {
    std::vector<HostPort> candidates;
    for (const HostPort& n : known) add_once(candidates, n);
    if (options.url.scheme == UrlScheme::unix_socket) candidates.push_back(HostPort{"", 0});
    for (const HostPort& n : options.url.hosts) add_once(candidates, n);
    std::string errors;
    for (const HostPort& node : candidates) {
        try {
            auto conn = connect_bus(node_options(options, node), client_name);
            ClusterTopology t = read_topology(*conn, node, options.reply_timeout);
            logger().debug("cluster topology from {}: {} slot range(s) on {} master(s)", node_name(node),
                           t.ranges.size(), t.masters().size());
            return t;
        } catch (const ConnectError& e) {
            if (!errors.empty()) errors += "; ";
            errors += e.what();
        }
    }
    throw ConnectError(errors.empty() ? std::string("no host in URL") : errors);
}

}  // namespace rbus
