// The context every tool runs in: connection, channel prefix, tracing ids,
// colour and logging. Precedence: flag > environment > config file > default.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "redis/cluster_hosts.h"
#include "app/config.h"
#include "base/env.h"
#include "base/log.h"
#include "app/output.h"
#include "redis/tls_transport.h"
#include "redis/url.h"

namespace CLI {
class App;
}

namespace rbus {

struct ConnectOptions {
    RedisUrl url;
    TlsOptions tls;
    std::chrono::milliseconds connect_timeout{5000};
    // Bound on each command's reply on a live connection.
    std::chrono::milliseconds reply_timeout{10000};
    // redis+sentinel://: AUTH to the sentinels (the URL's password is the
    // data nodes'). Never printed.
    std::string sentinel_password;
    // --cluster-hosts: where the credentials may follow the topology (empty: anywhere).
    HostAllowList cluster_hosts;
    // The largest reply (or pub/sub frame) read from a server; a larger one is
    // refused before it is buffered (exit 3). Readers raise it with --max-bytes.
    std::size_t max_reply_bytes = 32 * 1024 * 1024;
};

// A warning kept until the logger is set up; `auth` ones are about the password
// (--no-auth-warning silences them).
struct SecurityWarning {
    bool auth = false;
    std::string text;
};

struct Context {
    ConnectOptions connect;
    std::string url_source;  // "--url", "REDIS_URL", "UPSTASH_REDIS_URL" or "default"
    std::string prefix = "raptorflow.events";
    std::optional<std::string> workspace_id, correlation_id, source_agent_id;
    std::optional<ColorMode> color_flag;
    LogLevel log_level = LogLevel::warn;
    LogFormat log_format = LogFormat::text;
    bool fail_soft = false;
    bool sharded = false;  // --sharded: SPUBLISH/SSUBSCRIBE on the slot's owner (Redis Cluster)
    bool quiet = false;  // -q: errors only, and no data echo from rbus-publish
    // History (SPEC §8): the namespace of rbus's keys (--history-key-prefix), and
    // rbus-publish --history from RAPTORBUS_HISTORY=1 or config `history = true`.
    std::string history_prefix = "rbus";
    bool history = false;
    bool url_password_on_argv = false;  // warn: visible to other users in ps
    bool no_auth_warning = false;       // --no-auth-warning
    std::vector<SecurityWarning> security_warnings;  // printed once logging is set up, -q or not
    std::string config_path;            // the config file read, or empty
    // Where each setting came from, by config key ("url", "prefix", "password",
    // ...): "--url", "REDIS_URL", "config FILE:LINE", "default", ...
    std::map<std::string, std::string> sources;

    // --channel: full channel names outside the prefix (sys.alert.critical).
    std::vector<std::string> channels;

    // The channel an event type is published on: {prefix}.{type}.
    std::string channel_for(std::string_view type) const;
    // Where rbus-publish sends an event: --channel when given, else channel_for(type).
    std::string publish_channel(std::string_view type) const;
    // A TYPE argument copied as a full channel name ({prefix}.agent.x, as
    // rbus-stats and PUBSUB CHANNELS show it) is the type agent.x; said at -v.
    std::string type_from(std::string_view arg) const;
};

// The common flags as given on the command line; empty means "not given".
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

// Adds the connection and context flags shared by all four tools.
void add_common_options(CLI::App& app, CommonOptions& opts);

// Resolves flags, environment and config file into a Context. Throws
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
