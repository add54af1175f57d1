// rbus-stats: is the bus healthy, who listens, what flows.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bus.h"
#include "error.h"
#include "output.h"
#include "stats.h"
#include "tool.h"

using namespace rbus;

int main(int argc, char** argv) {
    bool check = false, json = false;
    int pings = 10;
    return tool_main("rbus-stats", "Report on the RaptorBus: server, channels, subscribers, health.", argc, argv,
                     [&](CLI::App& app) -> ToolRun {
        app.add_flag("--check", check, "one status line; exit 0 healthy, 3 unreachable");
        app.add_flag("--json", json, "one JSON object");
        app.add_option("--pings", pings, "PING samples for the round trip (default 10)")->check(CLI::Range(1, 10000));
        return [&](const Context& ctx) {
            StdoutWriter out;
            if (check) {
                try {
                    auto conn = connect_bus(ctx.connect, "rbus-stats");
                    ServerSnapshot s = snapshot_server(*conn, ctx, pings);
                    out.line(fmt::format("OK {} reachable: redis {}, PING p50 {:.2f}ms p99 {:.2f}ms, {} channel(s) under {}",
                                         ctx.connect.url.redacted(), s.version, percentile(s.ping_rtt_ms, 50),
                                         percentile(s.ping_rtt_ms, 99), s.channels.size(), ctx.prefix));
                    return kExitOk;
                } catch (const ConnectError& e) {
                    out.line(fmt::format("UNREACHABLE {}: {}", ctx.connect.url.redacted(), e.what()));
                    out.flush();
                    throw;
                }
            }
            auto conn = connect_bus(ctx.connect, "rbus-stats");
            ServerSnapshot s = snapshot_server(*conn, ctx, pings);
            Json j = snapshot_json(s, ctx);
            if (json) {
                out.line(j.dump());
                return kExitOk;
            }
            out.line(fmt::format("server    redis {} up {}s, {} clients, PING p50 {:.2f}ms p99 {:.2f}ms", s.version,
                                 s.uptime_seconds, s.connected_clients, percentile(s.ping_rtt_ms, 50),
                                 percentile(s.ping_rtt_ms, 99)));
            out.line(fmt::format("channels  {} under {}.*, {} pattern subscription(s)", s.channels.size(), ctx.prefix,
                                 s.pattern_subscriptions));
            for (const auto& c : s.channels) out.line(fmt::format("  {:<60} {:>6} subscriber(s)", c.channel, c.subscribers));
            for (const auto& [ch, n] : s.published_counters) out.line(fmt::format("  published {:<50} {:>10}", ch, n));
            return kExitOk;
        };
    });
}
