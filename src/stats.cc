#include "stats.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "error.h"

namespace rbus {

double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
    if (rank == 0) rank = 1;
    return values[std::min(rank, values.size()) - 1];
}

std::string info_field(std::string_view info, std::string_view key) {
    std::size_t pos = 0;
    while (pos < info.size()) {
        std::size_t end = info.find('\n', pos);
        if (end == std::string_view::npos) end = info.size();
        std::string_view line = info.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':')
            return std::string(line.substr(key.size() + 1));
        pos = end + 1;
    }
    return {};
}

namespace {

long long to_ll(const std::string& s) {
    try {
        return s.empty() ? 0 : std::stoll(s);
    } catch (...) {
        return 0;
    }
}

}  // namespace

ServerSnapshot snapshot_server(Connection& conn, const Context& ctx, int ping_samples) {
    ServerSnapshot s;
    auto timeout = ctx.connect.reply_timeout;
    for (int i = 0; i < ping_samples; ++i) {
        auto t0 = Clock::now();
        conn.command({"PING"}, timeout);
        s.ping_rtt_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    Reply info = conn.command({"INFO"}, timeout);
    std::string_view text = reply_text(info.get());
    s.version = info_field(text, "redis_version");
    s.uptime_seconds = to_ll(info_field(text, "uptime_in_seconds"));
    s.connected_clients = to_ll(info_field(text, "connected_clients"));

    Reply chans = conn.command({"PUBSUB", "CHANNELS", ctx.channel_for("*")}, timeout);
    std::vector<std::string> names;
    for (std::size_t i = 0; i < chans->elements; ++i) names.emplace_back(reply_text(chans->element[i]));
    std::sort(names.begin(), names.end());
    if (!names.empty()) {
        std::vector<std::string_view> args{"PUBSUB", "NUMSUB"};
        for (const auto& n : names) args.push_back(n);
        Reply numsub = conn.command(args, timeout);
        for (std::size_t i = 0; i + 1 < numsub->elements; i += 2)
            s.channels.push_back({std::string(reply_text(numsub->element[i])), numsub->element[i + 1]->integer});
    }
    s.pattern_subscriptions = conn.command({"PUBSUB", "NUMPAT"}, timeout)->integer;

    // metrics:channel:{channel}:published counters, as RaptorBus keeps them.
    std::string cursor = "0";
    std::vector<std::string> keys;
    do {
        Reply r = conn.command({"SCAN", cursor, "MATCH", "metrics:channel:*:published", "COUNT", "1000"}, timeout);
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) throw ProtocolError("unexpected SCAN reply");
        cursor = std::string(reply_text(r->element[0]));
        for (std::size_t i = 0; i < r->element[1]->elements; ++i)
            keys.emplace_back(reply_text(r->element[1]->element[i]));
    } while (cursor != "0" && keys.size() < 100000);
    if (!keys.empty()) {
        std::vector<std::string_view> args{"MGET"};
        for (const auto& k : keys) args.push_back(k);
        Reply values = conn.command(args, timeout);
        constexpr std::string_view head = "metrics:channel:", tail = ":published";
        for (std::size_t i = 0; i < keys.size() && i < values->elements; ++i) {
            const std::string& k = keys[i];
            std::string channel = k.substr(head.size(), k.size() - head.size() - tail.size());
            s.published_counters[channel] = to_ll(std::string(reply_text(values->element[i])));
        }
    }
    return s;
}

Json snapshot_json(const ServerSnapshot& s, const Context& ctx) {
    Json j;
    j["url"] = ctx.connect.url.redacted();
    j["server"] = {{"version", s.version},
                   {"uptime_seconds", s.uptime_seconds},
                   {"connected_clients", s.connected_clients},
                   {"ping_rtt_ms", {{"samples", s.ping_rtt_ms.size()},
                                    {"p50", percentile(s.ping_rtt_ms, 50)},
                                    {"p99", percentile(s.ping_rtt_ms, 99)}}}};
    Json channels = Json::array();
    for (const auto& c : s.channels) channels.push_back({{"channel", c.channel}, {"subscribers", c.subscribers}});
    j["prefix"] = ctx.prefix;
    j["channels"] = channels;
    j["pattern_subscriptions"] = s.pattern_subscriptions;
    Json counters = Json::object();
    for (const auto& [ch, n] : s.published_counters) counters[ch] = n;
    j["published_counters"] = counters;
    return j;
}

}  // namespace rbus
