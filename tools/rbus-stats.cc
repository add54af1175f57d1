// rbus-stats: is the bus healthy, who listens, what flows.
#include <CLI/CLI.hpp>

#include "base/error.h"
#include "event/filter.h"
#include "base/size_flags.h"
#include "stats/stats.h"
#include "stats/stats_history_flags.h"
#include "app/tool.h"

using namespace rbus;

int main(int argc, char** argv) {
    StatsOptions o;
    std::string duration, interval, max_rtt, max_bytes;
    std::vector<std::string> min_subscribers;
    return tool_main("rbus-stats", "Report on the RaptorBus: server, channels, subscribers, traffic, health.", argc,
                     argv, [&](CLI::App& app) -> ToolRun {
        app.footer("  rbus-stats                     server, channels, then 5s of traffic\n"
                   "  rbus-stats --check --max-rtt 50ms --min-subscribers agent.task_started=2\n"
                   "  rbus-stats --json --duration 0 | jq .channels\n"
                   "  rbus-stats --check --max-pending 100 --max-dlq 0 --min-agents 3 --duration 35s\n"
                   "  rbus-stats --watch\n");
        auto* dur = app.add_option("--duration", duration, "sampling window for traffic (default 5s; 0: server only)");
        auto* json = app.add_flag("--json", o.json, "one JSON object (JSON lines with --watch)");
        auto* prom = app.add_flag("--prometheus", o.prometheus, "Prometheus text exposition format");
        auto* watch = app.add_flag("--watch", o.watch, "refresh like top (JSON lines when piped)");
        app.add_option("--interval", interval, "--watch refresh and window (default 1s)")->needs(watch);
        auto* check = app.add_flag("--check", o.check, "one status line; exit 0 healthy, 1 a threshold failed, 3 unreachable");
        app.add_option("--max-rtt", max_rtt, "--check: fail when the PING p99 is above DUR")->needs(check);
        app.add_option("--min-subscribers", min_subscribers, "--check: at least N subscribers on TYPE (repeatable)")
            ->needs(check)->allow_extra_args(false)->type_name("TYPE=N");
        add_history_stats_options(app, check, o);
        app.add_option("--max-bytes", max_bytes, "a larger message is counted invalid, never read (default 16777216)")
            ->type_name("N");
        app.add_option("--pings", o.ping_samples, "PING samples for the round trip (default 10)")->check(CLI::Range(1, 10000));
        json->excludes(prom);
        watch->excludes(prom);
        check->excludes(json)->excludes(prom)->excludes(watch);
        return [&, dur](const Context& ctx) {
            if (*dur) o.duration = parse_duration(duration);
            if (!interval.empty()) o.interval = parse_duration(interval);
            if (o.interval.count() <= 0) throw UsageError("--interval must be more than 0");
            if (o.watch && o.duration && o.duration->count() > 0)
                throw UsageError("with --watch the window is --interval; --duration takes only 0 (server only)");
            if (!max_rtt.empty()) o.thresholds.max_rtt = parse_duration(max_rtt);
            if (!max_bytes.empty()) o.max_bytes = parse_max_bytes(max_bytes);
            for (const auto& m : min_subscribers) o.thresholds.min_subscribers.push_back(parse_min_subscribers(m));
            if (!o.check) note_environment_filters(ctx, true);
            return run_stats(ctx, o);
        };
    });
}
