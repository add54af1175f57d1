#include "stats/stats_nodes.h"

#include <algorithm>

#include <fmt/format.h>

#include "redis/connect.h"
#include "base/error.h"

namespace rbus {

namespace {

long long to_ll(std::string_view s) {
    try {
        return s.empty() ? 0 : std::stoll(std::string(s));
    } catch (...) {
        return 0;
    }
}

}  // namespace

void read_node_info(Connection& conn, std::chrono::milliseconds timeout, int ping_samples, NodeSnapshot& into) {
    for (int i = 0; i < ping_samples; ++i) {
        auto t0 = Clock::now();
        conn.command({"PING"}, timeout);
        into.ping_rtt_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    Reply info = conn.command({"INFO"}, timeout);
    std::string_view text = reply_text(info.get());
    into.version = info_field(text, "redis_version");
    into.uptime_seconds = to_ll(info_field(text, "uptime_in_seconds"));
    into.connected_clients = to_ll(info_field(text, "connected_clients"));
}

std::vector<ChannelSubscribers> channel_subscribers(Connection& conn, const Context& ctx, bool sharded) {
    auto timeout = ctx.connect.reply_timeout;
    std::string_view list = sharded ? "SHARDCHANNELS" : "CHANNELS";
    std::string_view count = sharded ? "SHARDNUMSUB" : "NUMSUB";
    std::vector<std::string> names;
    // The prefix's channels, and --channel's: named ones even without subscribers.
    std::vector<std::string> patterns{ctx.channel_for("*")};
    for (const std::string& c : ctx.channels) {
        if (c.find_first_of("*?[") != std::string::npos) patterns.push_back(c);
        else names.push_back(c);
    }
    for (const std::string& pattern : patterns) {
        Reply chans = conn.command({"PUBSUB", list, pattern}, timeout);
        if (chans->type != REDIS_REPLY_ARRAY) throw ProtocolError(fmt::format("unexpected PUBSUB {} reply", list));
        for (std::size_t i = 0; i < chans->elements; ++i) names.emplace_back(reply_text(chans->element[i]));
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    std::vector<ChannelSubscribers> out;
    if (names.empty()) return out;
    std::vector<std::string_view> args{"PUBSUB", count};
    for (const auto& n : names) args.push_back(n);
    Reply numsub = conn.command(args, timeout);
    if (numsub->type != REDIS_REPLY_ARRAY) throw ProtocolError(fmt::format("unexpected PUBSUB {} reply", count));
    for (std::size_t i = 0; i + 1 < numsub->elements; i += 2)
        out.push_back({std::string(reply_text(numsub->element[i])), integer_of(numsub->element[i + 1], count)});
    return out;
}

void read_published_counters(Connection& conn, std::chrono::milliseconds timeout,
                             std::map<std::string, long long>& into) {
    std::string cursor = "0";
    std::vector<std::string> keys;
    do {
        Reply r = conn.command({"SCAN", cursor, "MATCH", "metrics:channel:*:published", "COUNT", "1000"}, timeout);
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[1]->type != REDIS_REPLY_ARRAY)
            throw ProtocolError("unexpected SCAN reply");
        cursor = std::string(reply_text(r->element[0]));
        for (std::size_t i = 0; i < r->element[1]->elements; ++i)
            keys.emplace_back(reply_text(r->element[1]->element[i]));
    } while (cursor != "0" && keys.size() < 100000);
    if (keys.empty()) return;
    for (const auto& k : keys) conn.append({"GET", k});
    Deadline deadline = deadline_after(timeout);
    conn.flush(deadline);
    constexpr std::string_view head = "metrics:channel:", tail = ":published";
    for (const auto& k : keys) {  // each matched metrics:channel:*:published
        Reply v = conn.read_reply(deadline);
        if (!v) throw TimeoutError(fmt::format("no reply from {} within {}ms", conn.peer(), timeout.count()));
        if (v->type != REDIS_REPLY_STRING || k.size() < head.size() + tail.size()) continue;  // gone, or not a counter
        into[k.substr(head.size(), k.size() - head.size() - tail.size())] += to_ll(reply_text(v.get()));
    }
}

std::vector<NodeSnapshot> snapshot_nodes(const Context& ctx, const ClusterTopology& topology, int ping_samples,
                                         std::map<std::string, long long>& counters) {
    std::vector<NodeSnapshot> nodes;
    auto read = [&](const HostPort& node, bool master) {
        NodeSnapshot n;
        n.node = node_name(node);
        n.role = master ? "master" : "replica";
        for (const auto& r : topology.ranges)
            if (same_node(r.master, node)) n.slots += r.last - r.first + 1;
        try {
            auto conn = connect_bus(node_options(ctx.connect, node), "rbus-stats");
            read_node_info(*conn, ctx.connect.reply_timeout, ping_samples, n);
            n.channels = channel_subscribers(*conn, ctx, ctx.sharded);
            if (!ctx.sharded) n.pattern_subscriptions = integer_of(conn->command({"PUBSUB", "NUMPAT"}, ctx.connect.reply_timeout).get(), "PUBSUB NUMPAT");
            if (master) read_published_counters(*conn, ctx.connect.reply_timeout, counters);
        } catch (const Error& e) {
            n.error = e.what();
        }
        nodes.push_back(std::move(n));
    };
    for (const auto& m : topology.masters()) read(m, true);
    for (const auto& r : topology.replicas()) read(r, false);
    return nodes;
}

std::vector<ChannelSubscribers> sum_channels(const std::vector<NodeSnapshot>& nodes) {
    std::map<std::string, long long> sums;
    for (const auto& n : nodes)
        for (const auto& c : n.channels) sums[c.channel] += c.subscribers;
    std::vector<ChannelSubscribers> out;
    for (auto& [channel, count] : sums) out.push_back({channel, count});
    return out;
}

long long sum_patterns(const std::vector<NodeSnapshot>& nodes) {
    long long total = 0;
    for (const auto& n : nodes) total += n.pattern_subscriptions;
    return total;
}

}  // namespace rbus
