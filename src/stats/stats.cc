#include "stats/stats.h"

#include <fnmatch.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "redis/connect.h"
#include "bus/consumer.h"
#include "base/error.h"
#include "base/log.h"
#include "redis/reconnect.h"
#include "stats/stats_history_render.h"
#include "stats/stats_nodes.h"
#include "app/output.h"
#include "json/json_paint.h"
#include "base/signals.h"
#include "stats/stats_render.h"
#include "app/tool.h"

namespace rbus {

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

ServerSnapshot snapshot_server(Connection& conn, const Context& ctx, int ping_samples) {
    ServerSnapshot s;
    auto timeout = ctx.connect.reply_timeout;
    NodeSnapshot self;
    read_node_info(conn, timeout, ping_samples, self);
    s.version = std::move(self.version);
    s.uptime_seconds = self.uptime_seconds;
    s.connected_clients = self.connected_clients;
    s.ping_rtt_ms = std::move(self.ping_rtt_ms);

    Reply info = conn.command({"INFO", "cluster"}, timeout);
    s.cluster = info_field(reply_text(info.get()), "cluster_enabled") == "1";
    if (!s.cluster) {
        s.channels = channel_subscribers(conn, ctx, ctx.sharded);
        if (!ctx.sharded) s.pattern_subscriptions = integer_of(conn.command({"PUBSUB", "NUMPAT"}, timeout).get(), "PUBSUB NUMPAT");
        read_published_counters(conn, timeout, s.published_counters);
        return s;
    }
    Reply state = conn.command({"CLUSTER", "INFO"}, timeout);
    s.cluster_state = info_field(reply_text(state.get()), "cluster_state");
    ClusterTopology topology = discover_topology(ctx.connect, "rbus-stats");
    s.nodes = snapshot_nodes(ctx, topology, ping_samples, s.published_counters);
    s.channels = sum_channels(s.nodes);
    s.pattern_subscriptions = sum_patterns(s.nodes);
    return s;
}

long long ServerSnapshot::subscribers_of(std::string_view channel) const {
    for (const auto& c : channels)
        if (c.channel == channel) return c.subscribers;
    return 0;
}

namespace {
constexpr std::chrono::milliseconds kSignalSlice{200};

// True when one of the subscriptions receives `channel`.
bool subscriptions_cover(const std::vector<Subscription>& subs, std::string_view channel) {
    std::string name(channel);
    for (const auto& s : subs)
        if (s.pattern ? ::fnmatch(s.name.c_str(), name.c_str(), 0) == 0 : s.name == channel) return true;
    return false;
}
}  // namespace

TrafficSampler::TrafficSampler(const Context& given, const ServerSnapshot& server, std::size_t max_bytes,
                               HeartbeatTracker* beats)
    : window_(given.workspace_id, max_bytes), beats_(beats) {
    Context ctx = given;
    ctx.connect.max_reply_bytes = reply_bound(max_bytes);
    if (!ctx.sharded) {
        std::vector<Subscription> subs = subscriptions_for(ctx, {}, true);
        beats_are_traffic_ = subscriptions_cover(subs, kHeartbeatChannel);
        if (beats_ && !beats_are_traffic_) subs.push_back({std::string(kHeartbeatChannel), false});
        sub_ = make_subscriber(ctx, "rbus-stats", std::move(subs));
        return;
    }
    std::vector<Subscription> subs;
    for (const auto& c : server.channels) subs.push_back({c.channel, false});
    if (subs.empty())
        logger().warn("--sharded: no sharded channel under {}.* has subscribers; nothing to sample "
                      "(sharded pub/sub has no patterns)",
                      ctx.prefix);
    else
        sub_ = make_subscriber(ctx, "rbus-stats", std::move(subs));
}

TrafficSampler::~TrafficSampler() = default;

void TrafficSampler::start_subscriptions() {
    if (sub_) sub_->start();
}

void TrafficSampler::close_subscriptions() {
    if (sub_) sub_->close();
}

void TrafficSampler::start() {
    start_subscriptions();
    window_start_ = Clock::now();
}

void TrafficSampler::resume(const std::string& why, Clock::time_point end) {
    ++drops_;
    const auto lost = Clock::now();
    logger().warn("connection dropped: {}; reconnecting (the counts of this window are lower bounds)", why);
    close_subscriptions();
    ReconnectPolicy policy;
    bool back = false;
    while (!back && !pending_signal() && Clock::now() < end) {
        const auto until = std::min(end, Clock::now() + policy.next_delay());
        sleep_unless_signal(until);
        if (pending_signal() || Clock::now() >= end) break;
        try {
            start_subscriptions();
            back = true;
        } catch (const Interrupted&) {
            close_subscriptions();
        } catch (const ConnectError& e) {
            close_subscriptions();
            logger().info("reconnect attempt {} failed: {}", policy.attempts(), e.what());
        }
    }
    dropped_ += Clock::now() - lost;
    if (back)
        logger().warn("reconnected after {}; events published meanwhile were not counted", log_lazy([lost] {
                          return format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - lost));
                      }));
}

TrafficStats TrafficSampler::sample_until(Clock::time_point end) {
    while (!pending_signal() && Clock::now() < end) {
        // Short slices, so that a signal is seen soon even if a wait resumes after EINTR.
        Deadline slice = std::min(end, Clock::now() + kSignalSlice);
        auto count = [&](const BusMessage& m) {
            auto now = std::chrono::system_clock::now();
            bool beat = beats_ && m.channel == kHeartbeatChannel;
            if (beat) beats_->heard(m.data, now);
            if (!beat || beats_are_traffic_) window_.add(m.data, now);
            return true;
        };
        try {
            if (sub_) {
                sub_->poll(slice, count);
            } else {
                sleep_unless_signal(*slice);
            }
        } catch (const IoError& e) {
            resume(e.what(), end);
        }
    }
    auto now = Clock::now();
    TrafficStats s = window_.stats(std::chrono::duration<double>(now - window_start_).count());
    s.drops = std::exchange(drops_, 0);
    s.dropped_seconds = std::chrono::duration<double>(std::exchange(dropped_, Clock::duration{})).count();
    window_.reset();
    window_start_ = now;
    return s;
}

MinSubscribers parse_min_subscribers(std::string_view text) {
    auto eq = text.rfind('=');
    auto bad = [&](std::string_view why) {
        return UsageError(fmt::format("invalid --min-subscribers \"{}\": {}", text, why));
    };
    if (eq == std::string_view::npos) throw bad("use TYPE=N, e.g. agent.task_started=2");
    MinSubscribers m{std::string(text.substr(0, eq)), 0};
    std::string_view n = text.substr(eq + 1);
    if (m.type.empty()) throw bad("the event type is empty");
    if (n.empty() || n.size() > 12 || n.find_first_not_of("0123456789") != std::string_view::npos)
        throw bad("N must be a whole number");
    m.count = std::stoll(std::string(n));
    return m;
}

std::vector<std::string> check_failures(const StatsReport& report, const Context& ctx, const CheckThresholds& t) {
    std::vector<std::string> failures;
    if (t.max_rtt) {
        double p99 = percentile(report.server.ping_rtt_ms, 99);
        if (p99 > static_cast<double>(t.max_rtt->count()))
            failures.push_back(fmt::format("PING p99 {:.2f}ms > {}", p99, format_duration(*t.max_rtt)));
    }
    for (const auto& m : t.min_subscribers) {
        bool full = std::find(ctx.channels.begin(), ctx.channels.end(), m.type) != ctx.channels.end();
        long long n = report.server.subscribers_of(full ? m.type : ctx.channel_for(ctx.type_from(m.type)));
        if (n < m.count) failures.push_back(fmt::format("{} has {} subscriber(s) < {}", m.type, n, m.count));
    }
    if (report.server.cluster && report.server.cluster_state != "ok")
        failures.push_back(fmt::format("cluster_state {}", report.server.cluster_state));
    for (const auto& n : report.server.nodes)
        if (!n.error.empty()) failures.push_back(fmt::format("node {} unreadable: {}", n.node, n.error));
    return failures;
}

namespace {

StatsReport new_report(const Context& ctx) {
    StatsReport r;
    r.url = ctx.connect.url.redacted();
    r.prefix = ctx.prefix;
    r.workspace = ctx.workspace_id;
    r.tls = ctx.connect.tls.enabled;
    r.tls_verified = r.tls && !ctx.connect.tls.insecure;
    return r;
}

int signal_code() { return pending_signal() ? signal_exit_code(pending_signal()) : kExitOk; }

int run_check(const Context& ctx, const StatsOptions& o, StdoutWriter& out) {
    StatsReport report = new_report(ctx);
    bool history = o.history_thresholds.any();
    try {
        auto conn = connect_bus(ctx.connect, "rbus-stats");
        report.server = snapshot_server(*conn, ctx, o.ping_samples);
        HeartbeatTracker beats;
        if (o.duration && o.duration->count() > 0) {
            TrafficSampler sampler(ctx, report.server, o.max_bytes, history ? &beats : nullptr);
            sampler.start();
            report.traffic = sampler.sample_until(Clock::now() + *o.duration);
        }
        if (history) report.history = HistoryStatsReader(ctx, o.scan_limit, beats).read(*conn, report.server.cluster);
    } catch (const ConnectError& e) {
        out.line(check_unreachable_line(report.url, e.what()));
        out.flush();
        throw;
    }
    std::vector<std::string> failures = check_failures(report, ctx, o.thresholds);
    if (report.history) {
        std::vector<std::string> more = history_check_failures(*report.history, o.history_thresholds);
        failures.insert(failures.end(), more.begin(), more.end());
    }
    out.line(failures.empty() ? check_ok_line(report) : check_fail_line(report, failures));
    out.flush();
    if (pending_signal()) return signal_code();
    if (failures.empty()) return kExitOk;
    // The status line is for whoever reads stdout; SPEC §4's one line on stderr too.
    print_error(tool_name(), fmt::format("check failed: {}", fmt::join(failures, "; ")));
    return kExitFailure;
}

void write_report(const StatsReport& report, const StatsOptions& o, bool color, StdoutWriter& out) {
    if (o.prometheus) out.write(render_prometheus(report));
    else if (o.json) out.line(color ? colorize_json(report_json(report)) : report_json(report).dump());
    else out.write(render_table(report, color));
}

// Like top: a redrawn table on a terminal, else one JSON line per refresh.
int run_watch(const Context& ctx, const StatsOptions& o, StdoutWriter& out, bool color) {
    bool redraw = out.is_tty() && !o.json;
    auto conn = connect_bus(ctx.connect, "rbus-stats");
    HeartbeatTracker beats;
    HistoryStatsReader history(ctx, o.scan_limit, beats);
    std::optional<TrafficSampler> sampler;
    if (!o.duration || o.duration->count() > 0) {
        sampler.emplace(ctx, ctx.sharded ? snapshot_server(*conn, ctx, 1) : ServerSnapshot{}, o.max_bytes, &beats);
        sampler->start();
    }
    bool warned = false;
    auto next = Clock::now() + o.interval;
    while (!pending_signal()) {
        StatsReport report = new_report(ctx);
        if (sampler) {
            report.traffic = sampler->sample_until(next);
        } else {
            sleep_unless_signal(next);
        }
        if (pending_signal()) break;
        report.server = snapshot_server(*conn, ctx, o.ping_samples);
        report.history = history.read(*conn, report.server.cluster);
        if (!warned && !report.history->not_read.empty()) logger().warn(report.history->not_read);
        warned = !report.history->not_read.empty();
        if (redraw) {
            out.write("\x1b[H\x1b[2J");
            out.write(render_table(report, color));
            out.line(fmt::format("every {}; Ctrl-C to quit", format_duration(o.interval)));
        } else {
            out.line(color ? colorize_json(report_json(report)) : report_json(report).dump());
        }
        out.flush();
        next += o.interval;
        if (next < Clock::now()) next = Clock::now() + o.interval;
    }
    return signal_code();
}

}  // namespace

int run_stats(const Context& ctx, const StatsOptions& o) {
    StdoutWriter out;
    if (o.check) return run_check(ctx, o, out);
    bool color = !o.prometheus && color_enabled(ctx.color_flag, out.is_tty(), process_env);
    if (o.watch) return run_watch(ctx, o, out, color);

    StatsReport report = new_report(ctx);
    auto conn = connect_bus(ctx.connect, "rbus-stats");
    report.server = snapshot_server(*conn, ctx, o.ping_samples);
    Duration window = o.duration.value_or(kDefaultWindow);
    // The table shows what is known at once; the traffic follows when the window ends.
    bool table = !o.json && !o.prometheus;
    if (table && window.count() > 0) {
        out.write(render_table(report, color));
        out.flush();
    }
    HeartbeatTracker beats;
    if (window.count() > 0) {
        TrafficSampler sampler(ctx, report.server, o.max_bytes, &beats);
        sampler.start();
        bool note = table && out.is_tty();
        if (note) {
            std::string line = fmt::format("sampling {}... (Ctrl-C ends it early)", format_duration_as_given(window));
            out.write(line);
            out.flush();
        }
        report.traffic = sampler.sample_until(Clock::now() + window);
        if (note) out.write("\r\x1b[K");  // the sampling line gives way to the traffic
    }
    // Interrupted: the window so far is still reported, then 130/143.
    if (!pending_signal()) {
        report.history = HistoryStatsReader(ctx, o.scan_limit, beats).read(*conn, report.server.cluster);
        if (!report.history->not_read.empty()) logger().warn(report.history->not_read);
    }
    if (table && window.count() > 0) {
        out.write(render_traffic_table(report, color));
        if (report.history) out.write(render_history_table(*report.history, color));
    } else {
        write_report(report, o, color, out);
    }
    return signal_code();
}

}  // namespace rbus
