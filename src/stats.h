// What rbus-stats measures on the server: version, uptime, clients, PING
// round trips, channels under the prefix with subscribers, metric counters.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "connection.h"
#include "context.h"
#include "envelope.h"

namespace rbus {

struct ChannelSubscribers {
    std::string channel;
    long long subscribers = 0;
};

struct ServerSnapshot {
    std::string version;
    long long uptime_seconds = 0;
    long long connected_clients = 0;
    std::vector<double> ping_rtt_ms;  // one per sample, in order taken
    std::vector<ChannelSubscribers> channels;
    long long pattern_subscriptions = 0;  // PUBSUB NUMPAT
    std::map<std::string, long long> published_counters;  // channel → metrics:channel:{channel}:published
};

// Takes ping_samples PINGs and reads INFO, PUBSUB and the metrics counters (SCAN, never KEYS).
ServerSnapshot snapshot_server(Connection& conn, const Context& ctx, int ping_samples);

// Nearest-rank percentile (p in 0..100) of values; 0 when empty.
double percentile(std::vector<double> values, double p);

// One value from an INFO reply ("redis_version" → "7.0.15"); empty when absent.
std::string info_field(std::string_view info, std::string_view key);

Json snapshot_json(const ServerSnapshot& s, const Context& ctx);

}  // namespace rbus
