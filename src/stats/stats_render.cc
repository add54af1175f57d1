#include "stats/stats_render.h"

#include <algorithm>
#include <functional>
#include <set>

#include <fmt/format.h>

#include "base/safe_text.h"
#include "stats/prometheus_exposition.h"
#include "stats/stats_history_render.h"
#include "base/table.h"

namespace rbus {
namespace {

double us_to_ms(std::int64_t us) { return static_cast<double>(us) / 1000.0; }

// The loss a dropped connection causes, in words (table and --check).
std::string drop_note(const TrafficStats& t) {
    return fmt::format("connection dropped by the server {} time(s), {:.2f}s without a subscription: "
                       "the counts are lower bounds",
                       t.drops, t.dropped_seconds);
}

Json flow_json(const FlowMap& flows, const TrafficStats& t) {
    Json j = Json::object();
    for (const auto& [name, c] : flows)
        j[name] = {{"events", c.events}, {"per_second", t.per_second(c.events)}, {"bytes", c.bytes}};
    return j;
}

Json traffic_json(const TrafficStats& t) {
    return {{"seconds", t.seconds},
            {"events", t.total.events},
            {"events_per_second", t.per_second(t.total.events)},
            {"bytes", t.total.bytes},
            {"bytes_per_second", t.per_second(t.total.bytes)},
            {"invalid", t.invalid},
            {"invalid_bytes", t.invalid_bytes},
            {"connection_drops", t.drops},
            {"dropped_seconds", t.dropped_seconds},
            {"counts_are_lower_bounds", t.drops > 0},
            {"other_workspaces", t.other_workspaces},
            {"by_type", flow_json(t.by_type, t)},
            {"by_priority", flow_json(t.by_priority, t)},
            {"by_workspace", flow_json(t.by_workspace, t)},
            {"lag_ms",
             {{"samples", t.lag_us.count()},
              {"p50", us_to_ms(t.lag_us.percentile(50))},
              {"p99", us_to_ms(t.lag_us.percentile(99))},
              {"max", us_to_ms(t.lag_us.max())},
              {"negative", t.lag_us.negatives()},
              {"no_timestamp", t.no_timestamp}}}};
}

void put_flows(std::string& out, std::string_view title, const FlowMap& flows,
               const TrafficStats& t, const Painter& paint) {
    if (flows.empty()) return;
    std::vector<std::pair<std::string, FlowCount>> sorted(flows.begin(), flows.end());
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.second.events > b.second.events; });
    std::vector<Row> rows{{{std::string(title), Paint::head}, num("EVENTS", Paint::head), num("/S", Paint::head),
                           num("BYTES", Paint::head)}};
    for (const auto& [name, c] : sorted)
        rows.push_back({{name, Paint::name}, num(std::to_string(c.events)),
                        num(fmt::format("{:.2f}", t.per_second(c.events))), num(format_bytes(static_cast<double>(c.bytes)))});
    put_rows(out, rows, paint);
}

Json nodes_json(const std::vector<NodeSnapshot>& nodes) {
    Json out = Json::array();
    for (const auto& n : nodes) {
        Json channels = Json::array();
        for (const auto& c : n.channels) channels.push_back({{"channel", c.channel}, {"subscribers", c.subscribers}});
        out.push_back({{"node", n.node},
                       {"role", n.role},
                       {"slots", n.slots},
                       {"error", n.error.empty() ? Json(nullptr) : Json(n.error)},
                       {"version", n.version},
                       {"uptime_seconds", n.uptime_seconds},
                       {"connected_clients", n.connected_clients},
                       {"ping_rtt_ms", {{"samples", n.ping_rtt_ms.size()},
                                        {"p50", percentile(n.ping_rtt_ms, 50)},
                                        {"p99", percentile(n.ping_rtt_ms, 99)}}},
                       {"channels", channels},
                       {"pattern_subscriptions", n.pattern_subscriptions}});
    }
    return out;
}

long long node_subscribers(const NodeSnapshot& n) {
    long long total = 0;
    for (const auto& c : n.channels) total += c.subscribers;
    return total;
}

std::vector<Row> node_rows(const std::vector<NodeSnapshot>& nodes) {
    std::vector<Row> rows{{{"NODE", Paint::head}, {"ROLE", Paint::head}, num("SLOTS", Paint::head),
                           {"VERSION", Paint::head}, num("CLIENTS", Paint::head), num("PING P99", Paint::head),
                           num("SUBSCRIBERS", Paint::head)}};
    for (const auto& n : nodes) {
        if (!n.error.empty()) {
            rows.push_back({{n.node, Paint::name}, {n.role}, num(std::to_string(n.slots)), {n.error, Paint::warn}});
            continue;
        }
        rows.push_back({{n.node, Paint::name}, {n.role}, num(std::to_string(n.slots)), {n.version, Paint::number},
                        num(std::to_string(n.connected_clients)), num(format_ms(percentile(n.ping_rtt_ms, 99))),
                        num(std::to_string(node_subscribers(n) + n.pattern_subscriptions))});
    }
    return rows;
}

}  // namespace

std::string format_ms(double ms) {
    if (ms >= 1000) return fmt::format("{:.2f}s", ms / 1000);
    return fmt::format("{:.2f}ms", ms);
}

std::string format_bytes(double bytes) {
    static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024 && u < 4) {
        bytes /= 1024;
        ++u;
    }
    return u == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[u]);
}

Json report_json(const StatsReport& r) {
    const ServerSnapshot& s = r.server;
    Json j;
    j["url"] = r.url;
    j["prefix"] = r.prefix;
    j["workspace_id"] = r.workspace ? Json(*r.workspace) : Json(nullptr);
    j["tls"] = {{"enabled", r.tls}, {"certificate_verified", r.tls_verified}};
    j["server"] = {{"version", s.version},
                   {"uptime_seconds", s.uptime_seconds},
                   {"connected_clients", s.connected_clients},
                   {"ping_rtt_ms", {{"samples", s.ping_rtt_ms.size()},
                                    {"p50", percentile(s.ping_rtt_ms, 50)},
                                    {"p99", percentile(s.ping_rtt_ms, 99)}}}};
    Json channels = Json::array();
    for (const auto& c : s.channels) channels.push_back({{"channel", c.channel}, {"subscribers", c.subscribers}});
    j["channels"] = channels;
    j["pattern_subscriptions"] = s.pattern_subscriptions;
    Json counters = Json::object();
    for (const auto& [ch, n] : s.published_counters) counters[ch] = n;
    j["published_counters"] = counters;
    j["cluster_state"] = s.cluster ? Json(s.cluster_state) : Json(nullptr);
    j["nodes"] = nodes_json(s.nodes);
    j["traffic"] = r.traffic ? traffic_json(*r.traffic) : Json(nullptr);
    j["history"] = r.history ? history_json(*r.history) : Json(nullptr);
    // Names come from the bus and the server: a byte that is not UTF-8 must not
    // make the document invalid.
    return lossless_json(j);
}

std::string render_table(const StatsReport& r, bool color) {
    Painter paint(color);
    const ServerSnapshot& s = r.server;
    std::string out;
    auto heading = [&](std::string_view text) { out += paint(terminal_safe(text), Paint::head) + "\n"; };

    heading(fmt::format("SERVER  {}", r.url));
    put_rows(out,
             {{{"version"}, {s.version, Paint::number}},
              {{"uptime"}, {fmt::format("{}s", s.uptime_seconds), Paint::number}},
              {{"clients"}, {std::to_string(s.connected_clients), Paint::number}},
              {{"ping"}, {fmt::format("p50 {}  p99 {}  ({} samples)", format_ms(percentile(s.ping_rtt_ms, 50)),
                                      format_ms(percentile(s.ping_rtt_ms, 99)), s.ping_rtt_ms.size())}}},
             paint);

    heading(fmt::format("CHANNELS  {}.*  ({} with subscribers, {} pattern subscription(s))", r.prefix,
                        s.channels.size(), s.pattern_subscriptions));
    std::set<std::string> names;
    for (const auto& c : s.channels) names.insert(c.channel);
    for (const auto& [ch, n] : s.published_counters) names.insert(ch);
    if (names.empty()) {
        out += "  (none)\n";
    } else {
        std::vector<Row> rows{{{"CHANNEL", Paint::head}, num("SUBSCRIBERS", Paint::head), num("PUBLISHED", Paint::head)}};
        for (const auto& name : names) {
            auto counter = s.published_counters.find(name);
            rows.push_back({{name, Paint::name}, num(std::to_string(s.subscribers_of(name))),
                            num(counter == s.published_counters.end() ? "-" : std::to_string(counter->second))});
        }
        put_rows(out, rows, paint);
    }

    if (s.cluster) {
        heading(fmt::format("NODES  cluster_state {}  ({} node(s))", s.cluster_state, s.nodes.size()));
        put_rows(out, node_rows(s.nodes), paint);
    }

    if (r.traffic) out += render_traffic_table(r, color);
    if (r.history) out += render_history_table(*r.history, color);
    return out;
}

std::string render_traffic_table(const StatsReport& r, bool color) {
    Painter paint(color);
    std::string out;
    auto heading = [&](std::string_view text) { out += paint(text, Paint::head) + "\n"; };
    if (!r.traffic) return out;
    const TrafficStats& t = *r.traffic;
    heading(fmt::format("TRAFFIC  {:.2f}s window{}", t.seconds,
                        r.workspace ? fmt::format(", workspace {}", *r.workspace) : std::string()));
    const Histogram& lag = t.lag_us;
    put_rows(out,
             {{{"events"}, num(std::to_string(t.total.events)), num(fmt::format("{:.2f}/s", t.per_second(t.total.events)))},
              {{"bytes"}, num(format_bytes(static_cast<double>(t.total.bytes))),
               num(format_bytes(t.per_second(t.total.bytes)) + "/s")},
              {{"invalid"}, num(std::to_string(t.invalid), t.invalid ? Paint::warn : Paint::number)}},
             paint);
    if (t.drops > 0) put_rows(out, {{{drop_note(t), Paint::warn}}}, paint);
    put_rows(out,
             {{{"lag    "}, {fmt::format("p50 {}  p99 {}  max {}  ({} samples)", format_ms(us_to_ms(lag.percentile(50))),
                                     format_ms(us_to_ms(lag.percentile(99))), format_ms(us_to_ms(lag.max())),
                                     lag.count())}}},
             paint);
    put_flows(out, "TYPE", t.by_type, t, paint);
    put_flows(out, "PRIORITY", t.by_priority, t, paint);
    put_flows(out, "WORKSPACE", t.by_workspace, t, paint);
    return out;
}

namespace {

// A gauge family with one sample per flow, labelled by its key.
void by_label(PrometheusExposition& e, std::string_view name, std::string_view help, std::string_view label,
              const FlowMap& flows, const std::function<double(const FlowCount&)>& value) {
    e.family(name, "gauge", help);
    for (const auto& [key, c] : flows) e.sample(name, {{label, key}}, value(c));
}

void put_node_families(PrometheusExposition& e, const ServerSnapshot& s) {
    e.gauge("rbus_cluster_state_ok", "1 when CLUSTER INFO says cluster_state:ok.", s.cluster_state == "ok" ? 1 : 0);
    e.family("rbus_cluster_node_up", "gauge", "1 when the cluster node could be read, by node and role.");
    for (const auto& n : s.nodes) e.sample("rbus_cluster_node_up", {{"node", n.node}, {"role", n.role}}, n.error.empty() ? 1 : 0);
    e.family("rbus_cluster_node_slots", "gauge", "Hash slots the node serves.");
    for (const auto& n : s.nodes) e.sample("rbus_cluster_node_slots", {{"node", n.node}}, n.slots);
    e.family("rbus_cluster_node_connected_clients", "gauge", "Clients connected to the node.");
    for (const auto& n : s.nodes)
        if (n.error.empty())
            e.sample("rbus_cluster_node_connected_clients", {{"node", n.node}}, static_cast<double>(n.connected_clients));
    e.family("rbus_cluster_node_subscriptions", "gauge", "Channel and pattern subscriptions under the prefix held on the node.");
    for (const auto& n : s.nodes)
        if (n.error.empty())
            e.sample("rbus_cluster_node_subscriptions", {{"node", n.node}},
                     static_cast<double>(node_subscribers(n) + n.pattern_subscriptions));
}

}  // namespace

std::string render_prometheus(const StatsReport& r) {
    const ServerSnapshot& s = r.server;
    PrometheusExposition e;
    e.family("rbus_server_info", "gauge", "The Redis server behind the bus (always 1).");
    e.sample("rbus_server_info", {{"version", s.version}, {"url", r.url}, {"prefix", r.prefix}}, 1);
    e.gauge("rbus_server_uptime_seconds", "Seconds since the Redis server started.", static_cast<double>(s.uptime_seconds));
    e.gauge("rbus_server_connected_clients", "Clients connected to the Redis server.",
            static_cast<double>(s.connected_clients));
    double ping_sum = 0;
    for (double ms : s.ping_rtt_ms) ping_sum += ms / 1000;
    e.summary("rbus_ping_rtt_seconds", "PING round trip to the server.", percentile(s.ping_rtt_ms, 50) / 1000,
              percentile(s.ping_rtt_ms, 99) / 1000, ping_sum, static_cast<double>(s.ping_rtt_ms.size()));
    e.family("rbus_channel_subscribers", "gauge", "Subscribers of each channel under the prefix (PUBSUB NUMSUB).");
    for (const auto& c : s.channels) e.sample("rbus_channel_subscribers", {{"channel", c.channel}}, static_cast<double>(c.subscribers));
    e.gauge("rbus_pattern_subscriptions", "Pattern subscriptions on the server (PUBSUB NUMPAT).",
            static_cast<double>(s.pattern_subscriptions));
    if (s.cluster) put_node_families(e, s);
    e.family("rbus_channel_published_total", "counter", "The metrics:channel:{channel}:published counters.");
    for (const auto& [ch, n] : s.published_counters)
        e.sample("rbus_channel_published_total", {{"channel", ch}}, static_cast<double>(n));
    std::string history = r.history ? render_history_prometheus(*r.history) : std::string();
    if (!r.traffic) return e.take() + history;

    const TrafficStats& t = *r.traffic;
    auto rate = [&](const FlowCount& c) { return t.per_second(c.events); };
    auto events = [](const FlowCount& c) { return static_cast<double>(c.events); };
    e.gauge("rbus_window_seconds", "Length of the sampling window.", t.seconds);
    e.gauge("rbus_window_events", "Events received in the window.", static_cast<double>(t.total.events));
    e.gauge("rbus_events_per_second", "Events per second in the window.", t.per_second(t.total.events));
    e.gauge("rbus_bytes_per_second", "Bytes of events per second in the window.", t.per_second(t.total.bytes));
    e.gauge("rbus_window_invalid_messages", "Invalid messages received in the window.", static_cast<double>(t.invalid));
    e.gauge("rbus_window_connection_drops",
            "Times the server dropped the connection in the window; above 0 the counts are lower bounds.",
            static_cast<double>(t.drops));
    e.gauge("rbus_window_dropped_seconds", "Seconds of the window without a subscription after a drop.",
            t.dropped_seconds);
    by_label(e, "rbus_window_events_by_type", "Events received in the window, by type.", "type", t.by_type, events);
    by_label(e, "rbus_events_per_second_by_type", "Events per second in the window, by type.", "type", t.by_type, rate);
    by_label(e, "rbus_events_per_second_by_priority", "Events per second in the window, by priority.", "priority",
               t.by_priority, rate);
    by_label(e, "rbus_events_per_second_by_workspace", "Events per second in the window, by workspace (- for none).",
               "workspace", t.by_workspace, rate);
    const Histogram& lag = t.lag_us;
    e.summary("rbus_bus_lag_seconds", "Receipt time minus envelope timestamp.",
              static_cast<double>(lag.percentile(50)) / 1e6, static_cast<double>(lag.percentile(99)) / 1e6,
              lag.sum() / 1e6, static_cast<double>(lag.count()));
    return e.take() + history;
}

std::string check_ok_line(const StatsReport& r) {
    const ServerSnapshot& s = r.server;
    std::string line = fmt::format("OK {} reachable: redis {}, PING p50 {:.2f}ms p99 {:.2f}ms, {} channel(s) under {}",
                                   r.url, s.version, percentile(s.ping_rtt_ms, 50), percentile(s.ping_rtt_ms, 99),
                                   s.channels.size(), r.prefix);
    if (s.cluster) line += fmt::format(", cluster_state {}, {} node(s)", s.cluster_state, s.nodes.size());
    if (r.tls && !r.tls_verified) line += ", TLS certificate NOT verified (--insecure)";
    if (r.traffic)
        line += fmt::format(", {:.2f} events/s over {:.2f}s", r.traffic->per_second(r.traffic->total.events),
                            r.traffic->seconds);
    if (r.history) line += history_check_summary(*r.history);
    if (r.traffic && r.traffic->drops > 0) line += "; " + drop_note(*r.traffic);
    return terminal_safe(line);
}

std::string check_fail_line(const StatsReport& r, const std::vector<std::string>& failures) {
    std::string joined;
    for (const auto& f : failures) joined += (joined.empty() ? "" : "; ") + f;
    std::string line = fmt::format("FAIL {}: {} (redis {}, PING p50 {:.2f}ms p99 {:.2f}ms{})", r.url, joined,
                                   r.server.version, percentile(r.server.ping_rtt_ms, 50),
                                   percentile(r.server.ping_rtt_ms, 99),
                                   r.tls && !r.tls_verified ? ", TLS certificate NOT verified (--insecure)" : "");
    if (r.traffic && r.traffic->drops > 0) line += "; " + drop_note(*r.traffic);
    return terminal_safe(line);
}

std::string check_unreachable_line(std::string_view url, std::string_view reason) {
    return terminal_safe(fmt::format("UNREACHABLE {}: {}", url, reason));
}

}  // namespace rbus
