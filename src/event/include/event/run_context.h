// The context a run works in, once resolved (app/context.h resolves it from
// flags, environment and config file): connection, channel prefix, tracing ids,
// colour and logging.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/color.h"
#include "base/log.h"
#include "redis/connect_options.h"

namespace rbus {

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
    // sources[key], or "default" for a setting not recorded there.
    std::string source_of(std::string_view key) const;

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

}  // namespace rbus
