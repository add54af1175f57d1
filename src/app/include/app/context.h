// Resolving the context every tool runs in (event/run_context.h) from the
// common flags. Precedence: flag > environment > config file > default.
// The settings themselves are rows of app/settings_table.h.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "app/config.h"
#include "base/env.h"
#include "event/run_context.h"

namespace CLI {
class App;
}

namespace rbus {

// The common flags as given on the command line; empty means "not given".
// CLI11 writes each settings-table row's flag into its member here.
struct CommonOptions {
    std::string url, password_file, cacert, cert, key, sni, connect_timeout;
    std::string prefix, workspace_id, correlation_id, source_agent_id, config, color, log_format;
    bool tls = false, insecure = false, fail_soft = false, quiet = false;
    bool sharded = false;
    std::string history_key_prefix;
    std::string sentinel_password_file;
    std::vector<std::string> channels;  // --channel NAME (repeatable)
    bool print_context = false;
    bool no_auth_warning = false;
    std::string cluster_hosts;
    int verbose = 0;
};

// Adds the connection and context flags shared by all four tools: the
// settings table's flags, in its order.
void add_common_options(CLI::App& app, CommonOptions& opts);

// Resolves flags, environment and config file into a Context, row by row
// of the settings table (in their resolve_at order). Throws
// UsageError. Also reads the password file. Relative paths in the config
// file are relative to its directory; "~/" is the home directory.
Context resolve_context(const CommonOptions& opts, const EnvLookup& env, const Config& config = Config());

// A yes/no environment variable as Python and CI write it: 1/true/yes/on or
// 0/false/no/off, any case; absent: nothing. Throws UsageError naming it.
std::optional<bool> env_flag(const EnvLookup& env, const char* name);

// The resolved context as one line of JSON for --print-context: every
// setting with "<name>_source"; the URL redacted, the password only "***".
std::string describe_context(const Context& context);
// The same with what the tool adds (ContextDetails), after the common settings.
using ContextDetails = std::function<void(const Context&, nlohmann::ordered_json&)>;
std::string describe_context(const Context& context, const ContextDetails& details);

}  // namespace rbus
