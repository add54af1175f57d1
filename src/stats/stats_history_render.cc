#include "stats/stats_history_render.h"

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "base/safe_text.h"
#include "stats/prometheus_exposition.h"
#include "stats/stats_render.h"
#include "base/table.h"

namespace rbus {
namespace {

Json optional_number(const std::optional<long long>& v) { return v ? Json(*v) : Json(nullptr); }

// Age in seconds of an entry time, by the server's clock; null when unknown.
Json age_seconds(const HistorySnapshot& h, const std::optional<long long>& at_ms) {
    if (!at_ms) return nullptr;
    return static_cast<double>(std::max(0LL, h.server_time_ms - *at_ms)) / 1000.0;
}

std::string age_cell(const HistorySnapshot& h, const std::optional<long long>& at_ms) {
    return at_ms ? format_age(std::max(0LL, h.server_time_ms - *at_ms)) : "-";
}

std::string lag_text(const HistoryGroup& g) {
    if (!g.lag) return "?";
    return g.lag_exact ? std::to_string(*g.lag) : fmt::format(">={}", *g.lag);
}

Json group_json(const HistoryGroup& g) {
    Json consumers = Json::array();
    for (const auto& c : g.consumers)
        consumers.push_back({{"consumer", c.name}, {"pending", c.pending}, {"idle_ms", c.idle_ms}});
    return {{"group", g.name},
            {"consumers", g.consumers.size()},
            {"pending", g.pending},
            {"lag", optional_number(g.lag)},
            {"lag_exact", g.lag_exact},
            {"oldest_pending_idle_ms", optional_number(g.oldest_pending_idle_ms)},
            {"last_delivered_id", g.last_delivered_id},
            {"consumer_list", consumers}};
}

Json counts_json(const std::map<std::string, long long>& counts) {
    Json j = Json::object();
    for (const auto& [name, n] : counts) j[name] = n;
    return j;
}

std::string scan_note(const RaptorbusKeys& k) {
    return k.complete ? std::string("SCAN complete")
                      : fmt::format("SCAN stopped after {} key(s) (--scan-limit): counts are lower bounds", k.examined);
}

// The count of a budgeted scan: "at least N" when the walk stopped early.
std::string scan_count(const RaptorbusKeys& k, long long n) {
    return k.complete ? std::to_string(n) : fmt::format(">={}", n);
}

void put_streams(std::string& out, const HistorySnapshot& h, const Painter& paint) {
    std::vector<Row> rows{{{"CHANNEL", Paint::head}, num("LENGTH", Paint::head), num("OLDEST", Paint::head),
                           num("NEWEST", Paint::head), num("MEMORY", Paint::head), num("GROUPS", Paint::head)}};
    for (const auto& s : h.streams)
        rows.push_back({{s.channel, Paint::name}, num(std::to_string(s.length)), num(age_cell(h, s.oldest_ms)),
                        num(age_cell(h, s.newest_ms)),
                        num(s.memory_bytes ? format_bytes(static_cast<double>(*s.memory_bytes)) : "-"),
                        num(std::to_string(s.groups.size()))});
    put_rows(out, rows, paint);
}

void put_groups(std::string& out, const HistorySnapshot& h, const Painter& paint) {
    std::vector<Row> groups{{{"CHANNEL", Paint::head}, {"GROUP", Paint::head}, num("CONSUMERS", Paint::head),
                             num("PENDING", Paint::head), num("LAG", Paint::head),
                             num("OLDEST PENDING IDLE", Paint::head)}};
    std::vector<Row> consumers{{{"CHANNEL", Paint::head}, {"GROUP", Paint::head}, {"CONSUMER", Paint::head},
                                num("PENDING", Paint::head), num("IDLE", Paint::head)}};
    for (const auto& s : h.streams)
        for (const auto& g : s.groups) {
            groups.push_back({{s.channel, Paint::name}, {g.name, Paint::name},
                              num(std::to_string(g.consumers.size())),
                              num(std::to_string(g.pending), g.pending ? Paint::warn : Paint::number),
                              num(lag_text(g)),
                              num(g.oldest_pending_idle_ms ? format_age(*g.oldest_pending_idle_ms) : "-")});
            for (const auto& c : g.consumers)
                consumers.push_back({{s.channel, Paint::name}, {g.name, Paint::name}, {c.name, Paint::name},
                                     num(std::to_string(c.pending)), num(format_age(c.idle_ms))});
        }
    if (groups.size() == 1) {
        out += "  (no consumer groups)\n";
        return;
    }
    put_rows(out, groups, paint);
    if (consumers.size() > 1) put_rows(out, consumers, paint);
}

void put_agents(std::string& out, const HistorySnapshot& h, const Painter& paint) {
    std::vector<Row> rows{{{"AGENT", Paint::head}, num("LAST BEAT", Paint::head), {"HEARD", Paint::head},
                           {"STATUS", Paint::head}}};
    for (const auto& a : h.agents)
        rows.push_back({{a.agent, Paint::name},
                        num(format_age(static_cast<long long>(a.age_seconds * 1000)) + " ago"),
                        {a.live ? "live" : "persisted"},
                        {a.alive ? "alive" : "silent", a.alive ? Paint::none : Paint::warn}});
    put_rows(out, rows, paint);
}

}  // namespace

std::string format_age(long long ms) {
    if (ms < 0) ms = 0;
    if (ms < 1000) return fmt::format("{}ms", ms);
    long long s = ms / 1000;
    if (s < 60) return fmt::format("{}s", s);
    if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
    if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
    return fmt::format("{}d{:02}h", s / 86400, s % 86400 / 3600);
}

Json history_json(const HistorySnapshot& h) {
    if (!h.not_read.empty()) return {{"error", h.not_read}};
    Json streams = Json::array();
    for (const auto& s : h.streams) {
        Json groups = Json::array();
        for (const auto& g : s.groups) groups.push_back(group_json(g));
        streams.push_back({{"channel", s.channel},
                           {"key", s.key},
                           {"length", s.length},
                           {"oldest_entry_ms", optional_number(s.oldest_ms)},
                           {"newest_entry_ms", optional_number(s.newest_ms)},
                           {"oldest_age_seconds", age_seconds(h, s.oldest_ms)},
                           {"newest_age_seconds", age_seconds(h, s.newest_ms)},
                           {"memory_bytes", optional_number(s.memory_bytes)},
                           {"groups", groups}});
    }
    const RaptorbusKeys& k = h.raptorbus;
    Json agents = Json::array();
    for (const auto& a : h.agents)
        agents.push_back({{"agent", a.agent},
                          {"last_beat", format_timestamp(a.last)},
                          {"age_seconds", a.age_seconds},
                          {"alive", a.alive},
                          {"heard", a.live ? "live" : "persisted"}});
    return {{"namespace", h.ns},
            {"streams", streams},
            {"dlq",
             {{"rbus", {{"key", h.dlq_key}, {"length", h.dlq_length}}},
              {"raptorbus", {{"records", k.dlq_total()}, {"by_reason", counts_json(k.dlq)}, {"complete", k.complete}}}}},
            {"persisted", {{"messages", k.persisted_total()}, {"by_channel", counts_json(k.persisted)},
                           {"complete", k.complete}}},
            {"scan", {{"limit", k.limit}, {"examined", k.examined}, {"complete", k.complete}}},
            {"agents", agents},
            {"agents_alive", h.agents_alive},
            {"agent_alive_within_seconds", kAgentAliveWithin.count()}};
}

std::string render_history_table(const HistorySnapshot& h, bool color) {
    Painter paint(color);
    std::string out;
    auto heading = [&](std::string_view text) { out += paint(terminal_safe(text), Paint::head) + "\n"; };
    if (!h.not_read.empty()) {
        heading("HISTORY");
        put_rows(out, {{{h.not_read, Paint::warn}}}, paint);
        return out;
    }
    long long entries = 0;
    for (const auto& s : h.streams) entries += s.length;
    heading(fmt::format("HISTORY  {}:history:{{*}}  ({} stream(s), {} entries)", h.ns, h.streams.size(), entries));
    if (h.streams.empty()) out += "  (none)\n";
    else put_streams(out, h, paint);

    heading(fmt::format("GROUPS  ({} pending)", h.pending_total()));
    put_groups(out, h, paint);

    const RaptorbusKeys& k = h.raptorbus;
    heading("DLQ");
    std::vector<Row> dlq{{{h.dlq_key}, num(std::to_string(h.dlq_length), h.dlq_length ? Paint::warn : Paint::number),
                          {"entries"}},
                         {{"dlq:sys.dlq.*"}, num(scan_count(k, k.dlq_total()), k.dlq_total() ? Paint::warn : Paint::number),
                          {"RaptorBus records"}}};
    for (const auto& [reason, n] : k.dlq) dlq.push_back({{"  " + reason, Paint::name}, num(std::to_string(n)), {}});
    put_rows(out, dlq, paint);

    heading(fmt::format("PERSISTED  msg:{{channel}}:*  ({} message(s); {})", scan_count(k, k.persisted_total()),
                        scan_note(k)));
    if (k.persisted.empty()) {
        out += "  (none)\n";
    } else {
        std::vector<Row> rows{{{"CHANNEL", Paint::head}, num("MESSAGES", Paint::head)}};
        for (const auto& [channel, n] : k.persisted) rows.push_back({{channel, Paint::name}, num(scan_count(k, n))});
        put_rows(out, rows, paint);
    }

    heading(fmt::format("AGENTS  {}  ({} alive within {}s, {} seen)", kHeartbeatChannel, h.agents_alive,
                        kAgentAliveWithin.count(), h.agents.size()));
    if (h.agents.empty()) out += "  (none)\n";
    else put_agents(out, h, paint);
    return out;
}

namespace {

double as_double(long long v) { return static_cast<double>(v); }

}  // namespace

std::string render_history_prometheus(const HistorySnapshot& h) {
    if (!h.not_read.empty()) return {};
    PrometheusExposition e;
    e.family("rbus_history_stream_length", "gauge", "Entries in each channel's history stream.");
    for (const auto& s : h.streams) e.sample("rbus_history_stream_length", {{"channel", s.channel}}, as_double(s.length));
    e.family("rbus_history_stream_oldest_age_seconds", "gauge", "Age of the oldest entry of each history stream.");
    for (const auto& s : h.streams)
        if (s.oldest_ms)
            e.sample("rbus_history_stream_oldest_age_seconds", {{"channel", s.channel}},
                     age_seconds(h, s.oldest_ms).get<double>());
    e.family("rbus_history_stream_newest_age_seconds", "gauge", "Age of the newest entry of each history stream.");
    for (const auto& s : h.streams)
        if (s.newest_ms)
            e.sample("rbus_history_stream_newest_age_seconds", {{"channel", s.channel}},
                     age_seconds(h, s.newest_ms).get<double>());
    e.family("rbus_history_stream_memory_bytes", "gauge", "MEMORY USAGE of each history stream.");
    for (const auto& s : h.streams)
        if (s.memory_bytes) e.sample("rbus_history_stream_memory_bytes", {{"channel", s.channel}}, as_double(*s.memory_bytes));
    auto per_group = [&](std::string_view name, std::string_view help,
                         const std::function<std::optional<double>(const HistoryGroup&)>& value) {
        e.family(name, "gauge", help);
        for (const auto& s : h.streams)
            for (const auto& g : s.groups)
                if (auto v = value(g)) e.sample(name, PrometheusLabels{{"channel", s.channel}, {"group", g.name}}, *v);
    };
    auto per_consumer = [&](std::string_view name, std::string_view help,
                            const std::function<double(const HistoryConsumer&)>& value) {
        e.family(name, "gauge", help);
        for (const auto& s : h.streams)
            for (const auto& g : s.groups)
                for (const auto& c : g.consumers)
                    e.sample(name, PrometheusLabels{{"channel", s.channel}, {"group", g.name}, {"consumer", c.name}}, value(c));
    };
    per_group("rbus_group_consumers", "Consumers of each consumer group.",
              [](const HistoryGroup& g) { return std::optional<double>(static_cast<double>(g.consumers.size())); });
    per_group("rbus_group_pending", "Entries delivered to each group and not acknowledged.",
              [](const HistoryGroup& g) { return std::optional<double>(as_double(g.pending)); });
    per_group("rbus_group_lag", "Entries not yet delivered to each group (a lower bound when counted).",
              [](const HistoryGroup& g) { return g.lag ? std::optional<double>(as_double(*g.lag)) : std::nullopt; });
    per_group("rbus_group_oldest_pending_idle_seconds", "Idle time of each group's oldest pending entry.",
              [](const HistoryGroup& g) {
                  return g.oldest_pending_idle_ms ? std::optional<double>(as_double(*g.oldest_pending_idle_ms) / 1000)
                                                  : std::nullopt;
              });
    per_consumer("rbus_consumer_pending", "Pending entries of each consumer.",
                 [](const HistoryConsumer& c) { return as_double(c.pending); });
    per_consumer("rbus_consumer_idle_seconds", "Time since each consumer last read or claimed.",
                 [](const HistoryConsumer& c) { return as_double(c.idle_ms) / 1000; });
    const RaptorbusKeys& k = h.raptorbus;
    e.family("rbus_dlq_entries", "gauge", "Entries in rbus's DLQ stream.");
    e.sample("rbus_dlq_entries", {{"key", h.dlq_key}}, as_double(h.dlq_length));
    e.family("rbus_raptorbus_dlq_records", "gauge", "RaptorBus DLQ records dlq:sys.dlq.{reason}:*, by reason.");
    for (const auto& [reason, n] : k.dlq) e.sample("rbus_raptorbus_dlq_records", {{"reason", reason}}, as_double(n));
    e.family("rbus_raptorbus_persisted_messages", "gauge", "RaptorBus msg:{channel}:* events, by channel.");
    for (const auto& [channel, n] : k.persisted)
        e.sample("rbus_raptorbus_persisted_messages", {{"channel", channel}}, as_double(n));
    e.family("rbus_raptorbus_scan_complete", "gauge",
             "1 when the key SCAN reached its end within --scan-limit; 0: the RaptorBus counts are lower bounds.");
    e.sample("rbus_raptorbus_scan_complete", {}, k.complete ? 1 : 0);
    e.family("rbus_agents_alive", "gauge", "Agents whose last heartbeat is at most 60s old.");
    e.sample("rbus_agents_alive", {}, as_double(static_cast<long long>(h.agents_alive)));
    e.family("rbus_agent_last_beat_age_seconds", "gauge", "Age of each agent's last heartbeat.");
    for (const auto& a : h.agents) e.sample("rbus_agent_last_beat_age_seconds", {{"agent", a.agent}}, a.age_seconds);
    return e.take();
}

std::string history_check_summary(const HistorySnapshot& h) {
    std::size_t groups = 0;
    for (const auto& s : h.streams) groups += s.groups.size();
    return fmt::format(", {} history stream(s), {} group(s) with {} pending, DLQ {} + {}{} RaptorBus record(s), "
                       "{} agent(s) alive",
                       h.streams.size(), groups, h.pending_total(), h.dlq_length,
                       h.raptorbus.complete ? "" : "at least ", h.raptorbus.dlq_total(), h.agents_alive);
}

}  // namespace rbus
