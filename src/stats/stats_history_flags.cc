#include "stats/stats_history_flags.h"

#include <climits>

#include <CLI/CLI.hpp>

#include "stats/stats.h"

namespace rbus {

void add_history_stats_options(CLI::App& app, CLI::Option* check, StatsOptions& o) {
    app.add_option("--scan-limit", o.scan_limit,
                   "RaptorBus keys (msg:*, dlq:sys.dlq.*): SCAN at most about N keys (default 10000; past it, "
                   "\"at least\")")
        ->type_name("N")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 40));
    auto threshold = [&](const char* name, std::optional<long long>& into, const char* help) {
        app.add_option_function<long long>(name, [&into](const long long& n) { into = n; }, help)
            ->type_name("N")
            ->check(CLI::Range(0LL, LLONG_MAX))
            ->needs(check);
    };
    HistoryThresholds& t = o.history_thresholds;
    threshold("--max-pending", t.max_pending, "--check: fail when a consumer group has more than N pending");
    threshold("--max-dlq", t.max_dlq, "--check: fail when a DLQ (rbus's stream, RaptorBus's records) holds more than N");
    threshold("--max-lag", t.max_lag, "--check: fail when a consumer group has more than N entries not yet delivered");
    threshold("--min-agents", t.min_agents,
              "--check: fail when fewer than N agents beat on sys.global.heartbeat within 60s");
}

}  // namespace rbus
