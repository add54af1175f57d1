// The history flags shared by the tools (SPEC §8): --retain / --max-len for the
// writers, and loading the record script.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "redis/connection.h"
#include "event/run_context.h"
#include "bus/history_record.h"

namespace CLI {
class App;
class Validator;
}

namespace rbus {

struct RetentionFlags {
    std::string retain;
    std::uint64_t max_len = 0;
    bool given() const { return !retain.empty() || max_len > 0; }
};
// A flag's value must not be empty: an unset variable in a script (--since
// "$t0", --group "$G") is exit 2, not the flag left out. `what` names the value.
CLI::Validator not_empty(const char* what);

// --retain DUR, --max-len N.
void add_retention_options(CLI::App& app, RetentionFlags& flags, const char* group);

// The settings for this run: the key namespace from the context, the flags
// parsed once (UsageError for a bad duration).
HistorySettings history_settings(const Context& ctx, const RetentionFlags& flags);

// SCRIPT LOAD of the record script, so that EVALSHA can be pipelined.
void load_record_script(Connection& conn, std::chrono::milliseconds timeout);

}  // namespace rbus
