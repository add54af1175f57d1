// The rbus-stats flags of the history sections (SPEC §8): --scan-limit, and
// the --check thresholds --max-pending, --max-dlq, --max-lag, --min-agents.
#pragma once

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace rbus {

struct StatsOptions;

// Adds the flags, writing into `o`; the thresholds need `check` (--check).
void add_history_stats_options(CLI::App& app, CLI::Option* check, StatsOptions& o);

}  // namespace rbus
