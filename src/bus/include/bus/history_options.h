// The history flags shared by the tools (SPEC §8): --retain / --max-len for the
// writers, and the single-node check for the parts not built for a Cluster.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "redis/connection.h"
#include "event/run_context.h"
#include "bus/history_record.h"

namespace CLI {
class App;
}

namespace rbus {

struct RetentionFlags {
    std::string retain;
    std::uint64_t max_len = 0;
    bool given() const { return !retain.empty() || max_len > 0; }
};
// --retain DUR, --max-len N.
void add_retention_options(CLI::App& app, RetentionFlags& flags, const char* group);

// The settings for this run: the key namespace from the context, the flags
// parsed once (UsageError for a bad duration).
HistorySettings history_settings(const Context& ctx, const RetentionFlags& flags);

// History, replay, groups and the DLQ are built for one node (standalone,
// Sentinel, TLS): on --sharded, cluster seeds or a cluster node, `feature`
// ends with a UsageError saying so. The connection form asks the server
// (INFO cluster); the context form checks only what the flags say.
void require_single_node(const Context& ctx, std::string_view feature);
void require_single_node(Connection& conn, std::string_view feature, std::chrono::milliseconds timeout);

// SCRIPT LOAD of the record script, so that EVALSHA can be pipelined.
void load_record_script(Connection& conn, std::chrono::milliseconds timeout);

}  // namespace rbus
