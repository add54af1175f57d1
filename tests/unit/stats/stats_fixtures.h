// Reports the stats tests render: one server with a traffic window, one
// cluster of three nodes (one unreadable).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/timestamp.h"
#include "stats/stats.h"
#include "stats/stats_nodes.h"
#include "stats/traffic.h"

namespace rbus::fixtures {

inline StatsReport sample_report(bool with_traffic) {
    StatsReport r;
    r.url = "redis://127.0.0.1:6379/0";
    r.prefix = "raptorflow.events";
    r.server.version = "7.0.15";
    r.server.uptime_seconds = 42;
    r.server.connected_clients = 3;
    r.server.ping_rtt_ms = {0.1, 0.2, 0.3};
    r.server.channels = {{"raptorflow.events.agent.task_started", 2}, {"raptorflow.events.x\"y", 11}};
    r.server.pattern_subscriptions = 1;
    r.server.published_counters = {{"raptorflow.events.agent.task_started", 1532}};
    if (with_traffic) {
        TrafficWindow w;
        SystemTime now = *parse_timestamp("2026-11-26T16:10:31.000000Z");
        w.add(R"({"type":"agent.task_started","workspace_id":"ws\\1","timestamp":"2026-11-26T16:10:30.000000Z"})", now);
        w.add(R"({"type":"agent.task_started","priority":"high","timestamp":"2026-11-26T16:10:30.990000Z"})", now);
        w.add("junk", now);
        r.traffic = w.stats(2.0);
    }
    return r;
}

inline NodeSnapshot node_of(std::string name, std::string role, std::vector<ChannelSubscribers> channels, long long patterns = 0) {
    NodeSnapshot n;
    n.node = std::move(name);
    n.role = std::move(role);
    n.slots = n.role == "master" ? 5461 : 0;
    n.version = "7.0.15";
    n.uptime_seconds = 9;
    n.connected_clients = 4;
    n.ping_rtt_ms = {0.2, 0.4};
    n.channels = std::move(channels);
    n.pattern_subscriptions = patterns;
    return n;
}

inline StatsReport cluster_report() {
    StatsReport r;
    r.url = "redis://127.0.0.1:7000";
    r.prefix = "raptorflow.events";
    r.server.version = "7.0.15";
    r.server.ping_rtt_ms = {0.1};
    r.server.cluster = true;
    r.server.cluster_state = "ok";
    r.server.nodes = {node_of("127.0.0.1:7000", "master", {{"raptorflow.events.a", 2}}, 1),
                      node_of("127.0.0.1:7001", "master", {{"raptorflow.events.a", 1}, {"raptorflow.events.b", 3}}),
                      node_of("127.0.0.1:7002", "replica", {})};
    r.server.nodes[2].error = "cannot connect to 127.0.0.1:7002: Connection refused";
    r.server.channels = sum_channels(r.server.nodes);
    r.server.pattern_subscriptions = sum_patterns(r.server.nodes);
    return r;
}

}  // namespace rbus::fixtures
