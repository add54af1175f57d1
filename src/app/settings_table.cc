#include "app/settings_table.h"

#include <nlohmann/json.hpp>
#include <fmt/format.h>

#include "app/context.h"
#include "app/settings_resolvers.h"
#include "base/error.h"
#include "base/text.h"

namespace rbus {
namespace {

using OJson = nlohmann::ordered_json;
using K = SettingKind;
using O = CommonOptions;

constexpr const char* kConnection = "Connection";
constexpr const char* kContext = "Context";
constexpr const char* kOutput = "Output and diagnostics";

OJson or_null(const std::string& v) { return v.empty() ? OJson(nullptr) : OJson(v); }
OJson or_null(const std::optional<std::string>& v) { return v ? OJson(*v) : OJson(nullptr); }
OJson hidden(const std::string& secret) { return secret.empty() ? OJson(nullptr) : OJson("***"); }

// In --help order. resolve_at: the log settings first (as before: nothing
// below depends on them), then the URL before what reads it (password, TLS,
// the config file's password warning). print_at: --print-context's order.
constexpr Setting kSettings[] = {
    {.key = "url", .flags = "-u,--url", .env = {"REDIS_URL", "UPSTASH_REDIS_URL"}, .config_key = "url",
     .kind = K::url, .group = kConnection,
     .help = "Redis URL (env REDIS_URL, UPSTASH_REDIS_URL; default redis://127.0.0.1:6379)",
     .field = &O::url, .resolve_at = 5, .print_at = 2,
     .land = land_url,
     .show = [](const Context& c) { return OJson(c.connect.url.redacted()); }},
    {.key = "password", .flags = "--password-file", .env = {"RAPTORBUS_PASSWORD"}, .config_key = "password-file",
     .kind = K::secret_file, .group = kConnection, .help = "read the password from FILE (env RAPTORBUS_PASSWORD)",
     .field = &O::password_file, .resolve_at = 6, .print_at = 3,
     .show = [](const Context& c) { return hidden(c.connect.url.password); },
     .resolve = resolve_password},
    {.key = "sentinel-password", .flags = "--sentinel-password-file", .env = {"RAPTORBUS_SENTINEL_PASSWORD"},
     .config_key = "sentinel-password-file", .kind = K::secret_file, .group = kConnection,
     .help = "read the sentinels' password from FILE (redis+sentinel://; env RAPTORBUS_SENTINEL_PASSWORD)",
     .field = &O::sentinel_password_file, .resolve_at = 7, .print_at = 4,
     .land = [](Context& c, const Picked& p, const SettingInputs&) { c.connect.sentinel_password = secret_value(c, p); },
     .show = [](const Context& c) { return hidden(c.connect.sentinel_password); }},
    {.key = "tls", .flags = "--tls", .config_key = "tls", .kind = K::flag, .group = kConnection,
     .help = "use TLS (on for rediss://)", .field = &O::tls, .resolve_at = 8, .print_at = 5,
     .land = [](Context& c, const Picked& p, const SettingInputs&) {
         c.connect.tls.enabled = p.on();
         if (c.connect.url.tls()) {
             c.connect.tls.enabled = true;
             c.sources["tls"] = "url";
         }
     },
     .show = [](const Context& c) { return OJson(c.connect.tls.enabled); }},
    {.key = "cacert", .flags = "--cacert", .config_key = "cacert", .kind = K::path, .group = kConnection,
     .help = "CA certificate file for TLS", .field = &O::cacert, .resolve_at = 10, .print_at = 6,
     .land = [](Context& c, const Picked& p, const SettingInputs&) { c.connect.tls.cacert = p.value.value_or(""); },
     .show = [](const Context& c) { return or_null(c.connect.tls.cacert); }},
    {.key = "cert", .flags = "--cert", .config_key = "cert", .kind = K::path, .group = kConnection,
     .help = "client certificate for TLS", .field = &O::cert, .resolve_at = 11, .print_at = 7,
     .land = [](Context& c, const Picked& p, const SettingInputs&) { c.connect.tls.cert = p.value.value_or(""); },
     .show = [](const Context& c) { return or_null(c.connect.tls.cert); }},
    {.key = "key", .flags = "--key", .config_key = "key", .kind = K::path, .group = kConnection,
     .help = "client private key for TLS", .field = &O::key, .resolve_at = 12, .print_at = 8,
     .land = [](Context& c, const Picked& p, const SettingInputs&) {
         c.connect.tls.key = p.value.value_or("");
         if (c.connect.tls.cert.empty() != c.connect.tls.key.empty())
             throw UsageError("--cert and --key must be given together");
     },
     .show = [](const Context& c) { return or_null(c.connect.tls.key); }},
    {.key = "insecure", .flags = "--insecure", .config_key = "insecure", .kind = K::flag, .group = kConnection,
     .help = "do not verify the server certificate", .field = &O::insecure, .resolve_at = 9, .print_at = 10,
     .land = [](Context& c, const Picked& p, const SettingInputs&) { c.connect.tls.insecure = p.on(); },
     .show = [](const Context& c) { return OJson(c.connect.tls.insecure); }},
    {.key = "sni", .flags = "--sni", .config_key = "sni", .kind = K::text, .group = kConnection,
     .help = "TLS server name to send and verify", .field = &O::sni, .resolve_at = 13, .print_at = 9,
     .land = [](Context& c, const Picked& p, const SettingInputs&) { c.connect.tls.sni = p.value.value_or(""); },
     .show = [](const Context& c) { return or_null(c.connect.tls.sni); }},
    {.key = "connect-timeout", .flags = "--connect-timeout", .config_key = "connect-timeout", .kind = K::duration,
     .group = kConnection, .help = "connect timeout (default 5s)", .field = &O::connect_timeout, .resolve_at = 17,
     .print_at = 11, .shown_as = "connect_timeout_ms",
     .land = land_duration_ms,
     .show = [](const Context& c) { return OJson(c.connect.connect_timeout.count()); }},
    {.key = "cluster-hosts", .flags = "--cluster-hosts", .config_key = "cluster-hosts", .kind = K::text,
     .group = kConnection,
     .help = "send credentials only to these hosts besides the URL's (CIDR|HOST,...), wherever the cluster or a "
             "sentinel points",
     .type_name = "LIST", .field = &O::cluster_hosts, .resolve_at = 15,
     .land = [](Context& c, const Picked& p, const SettingInputs&) {
         if (p.value) c.connect.cluster_hosts = HostAllowList::parse(*p.value);
     }},
    {.key = "no-auth-warning", .flags = "--no-auth-warning", .kind = K::flag, .group = kConnection,
     .help = "no warning about a password on the command line or in a file others can read",
     .field = &O::no_auth_warning, .resolve_at = 14,
     .land = [](Context& c, const Picked& p, const SettingInputs&) { c.no_auth_warning = p.on(); }},
    {.key = "sharded", .flags = "--sharded", .env = {"RAPTORBUS_SHARDED"}, .config_key = "sharded", .kind = K::flag,
     .group = kConnection,
     .help = "sharded pub/sub: SPUBLISH/SSUBSCRIBE on each channel's slot owner (Redis 7+, cluster; env "
             "RAPTORBUS_SHARDED=1)",
     .field = &O::sharded, .resolve_at = 24, .print_at = 21,
     .land = [](Context& c, const Picked& p, const SettingInputs&) { c.sharded = p.on(); },
     .show = [](const Context& c) { return OJson(c.sharded); }},
    {.key = "history-key-prefix", .flags = "--history-key-prefix", .config_key = "history-key-prefix",
     .kind = K::text, .group = kContext, .help = "namespace of rbus's history, group and DLQ keys (default rbus)",
     .type_name = "PREFIX", .field = &O::history_key_prefix, .resolve_at = 25, .print_at = 22,
     .land = land_history_prefix,
     .show = [](const Context& c) { return OJson(c.history_prefix); }},
    {.key = "prefix", .flags = "--prefix", .env = {"RAPTORBUS_CHANNEL_PREFIX"}, .config_key = "prefix",
     .kind = K::text, .group = kContext,
     .help = "channel prefix (env RAPTORBUS_CHANNEL_PREFIX; default raptorflow.events)", .field = &O::prefix,
     .resolve_at = 18, .print_at = 12,
     .land = land_prefix,
     .show = [](const Context& c) { return OJson(c.prefix); }},
    {.key = "channels", .flags = "--channel", .kind = K::list, .group = kContext,
     .help = "a full channel name outside the prefix, e.g. sys.alert.critical (repeatable)", .type_name = "NAME",
     .field = &O::channels, .resolve_at = 22, .print_at = 13, .print_source = false,
     .land = land_channels,
     .show = [](const Context& c) { return OJson(c.channels); }},
    {.key = "workspace-id", .flags = "-w,--workspace-id", .env = {"RAPTORBUS_WORKSPACE_ID"},
     .config_key = "workspace-id", .kind = K::text, .group = kContext,
     .help = "workspace id: publish stamps it, readers keep only its events (env RAPTORBUS_WORKSPACE_ID)",
     .field = &O::workspace_id, .resolve_at = 19, .print_at = 14,
     .land = [](Context& c, const Picked& p, const SettingInputs&) { c.workspace_id = p.value; },
     .show = [](const Context& c) { return or_null(c.workspace_id); }},
    {.key = "correlation-id", .flags = "-c,--correlation-id", .env = {"RAPTORBUS_CORRELATION_ID"},
     .config_key = "correlation-id", .kind = K::text, .group = kContext,
     .help = "correlation id: publish sets request_id, readers keep only its events (env RAPTORBUS_CORRELATION_ID)",
     .field = &O::correlation_id, .resolve_at = 20, .print_at = 15,
     .land = [](Context& c, const Picked& p, const SettingInputs&) { c.correlation_id = p.value; },
     .show = [](const Context& c) { return or_null(c.correlation_id); }},
    {.key = "source-agent-id", .flags = "--source-agent-id", .env = {"RAPTORBUS_SOURCE_AGENT_ID"},
     .config_key = "source-agent-id", .kind = K::text, .group = kContext,
     .help = "source agent id (env RAPTORBUS_SOURCE_AGENT_ID)", .field = &O::source_agent_id, .resolve_at = 21,
     .print_at = 16,
     .land = [](Context& c, const Picked& p, const SettingInputs&) { c.source_agent_id = p.value; },
     .show = [](const Context& c) { return or_null(c.source_agent_id); }},
    // Read before the others (Config::load); resolved here for its warnings.
    {.key = "config", .flags = "--config", .env = {"RAPTORBUS_CONFIG"}, .kind = K::path, .group = kContext,
     .help = "config file (env RAPTORBUS_CONFIG; default $XDG_CONFIG_HOME/rbus/config.toml if present)",
     .field = &O::config, .resolve_at = 16, .print_at = 1, .print_source = false,
     .show = [](const Context& c) { return or_null(c.config_path); },
     .resolve = resolve_config_file},
    {.key = "print-context", .flags = "--print-context", .kind = K::flag, .group = kContext,
     .help = "print the resolved settings and where each came from (JSON, secrets hidden), then exit",
     .field = &O::print_context},
    {.key = "color", .flags = "--color", .env = {"NO_COLOR", "CLICOLOR_FORCE"}, .config_key = "color",
     .kind = K::text, .group = kOutput, .help = "auto|always|never (env NO_COLOR, CLICOLOR_FORCE)",
     .field = &O::color, .resolve_at = 4, .print_at = 17,
     .land = land_color,
     .show = [](const Context& c) {
         return OJson(c.color_flag == ColorMode::always ? "always" : c.color_flag == ColorMode::never ? "never" : "auto");
     }},
    // -v and -q are the log level's flags (the "log-level" row below).
    {.key = "verbose", .flags = "-v,--verbose", .kind = K::count, .group = kOutput,
     .help = "more diagnostics on stderr (repeatable; env RAPTORBUS_LOG_LEVEL)", .field = &O::verbose},
    {.key = "quiet", .flags = "-q,--quiet", .kind = K::flag, .group = kOutput, .help = "errors only",
     .field = &O::quiet, .resolve_at = 1,
     .land = [](Context& c, const Picked& p, const SettingInputs&) { c.quiet = p.on(); }},
    {.key = "log-format", .flags = "--log-format", .config_key = "log-format", .kind = K::text, .group = kOutput,
     .help = "text|json", .field = &O::log_format, .resolve_at = 3, .print_at = 19,
     .land = land_log_format,
     .show = [](const Context& c) { return OJson(c.log_format == LogFormat::json ? "json" : "text"); }},
    {.key = "fail-soft", .flags = "--fail-soft", .env = {"RAPTORBUS_FAIL_SOFT"}, .config_key = "fail-soft",
     .kind = K::flag, .group = kOutput, .help = "bus unreachable: warn and exit 0 (env RAPTORBUS_FAIL_SOFT=1)",
     .field = &O::fail_soft, .resolve_at = 23, .print_at = 20,
     .land = [](Context& c, const Picked& p, const SettingInputs&) { c.fail_soft = p.on(); },
     .show = [](const Context& c) { return OJson(c.fail_soft); }},
    // Without a flag of their own.
    {.key = "log-level", .env = {"RAPTORBUS_LOG_LEVEL"}, .kind = K::text, .resolve_at = 2, .print_at = 18,
     .show = [](const Context& c) { return OJson(ascii_lower(log_level_name(c.log_level))); },
     .resolve = resolve_log_level},
    // rbus-publish --history is rbus-publish's own flag (history_context.h shows it).
    {.key = "history", .env = {"RAPTORBUS_HISTORY"}, .config_key = "history", .kind = K::flag_env_1,
     .resolve_at = 26,
     .land = [](Context& c, const Picked& p, const SettingInputs&) { c.history = p.on(); }},
};

}  // namespace

std::span<const Setting> settings_table() { return kSettings; }

const Setting* find_setting(std::string_view key) {
    for (const Setting& s : kSettings)
        if (s.key == key) return &s;
    return nullptr;
}

std::string_view Setting::long_flag() const {
    if (!flags) return {};
    std::string_view names = flags;
    std::size_t at = names.rfind(',');
    return at == std::string_view::npos ? names : names.substr(at + 1);
}

std::string Picked::from_where() const { return source == "default" ? "" : fmt::format(" (from {})", source); }

std::string config_path_value(const std::string& path, const Config& config, const EnvLookup& env) {
    if (path.rfind("~/", 0) == 0) {
        if (auto home = env("HOME")) return *home + path.substr(1);
        return path;
    }
    if (path.empty() || path[0] == '/') return path;
    std::size_t slash = config.path().rfind('/');
    return slash == std::string::npos ? path : config.path().substr(0, slash + 1) + path;
}

Picked pick_setting(const Setting& s, const SettingInputs& in) {
    const bool on_off = s.kind == K::flag || s.kind == K::flag_env_1;
    std::optional<std::string> flag;
    if (s.field.text && !(in.flags.*s.field.text).empty()) flag = in.flags.*s.field.text;
    if (s.field.on && in.flags.*s.field.on) flag = "true";
    if (s.field.count && in.flags.*s.field.count > 0) flag = std::to_string(in.flags.*s.field.count);
    // A yes/no variable is checked even when the flag wins (as before).
    std::optional<bool> env_on;
    if (s.kind == K::flag && s.env[0]) env_on = env_flag(in.env, s.env[0]);

    if (flag) return {flag, std::string(s.long_flag()), Picked::From::flag};
    for (const char* var : s.env) {
        if (!var) continue;
        if (s.kind == K::flag) {
            if (env_on) return {*env_on ? "true" : "false", var, Picked::From::env};
        } else if (auto v = in.env(var)) {
            if (s.kind == K::flag_env_1) return {*v == "1" ? "true" : "false", var, Picked::From::env};
            return {*v, var, Picked::From::env};
        }
    }
    if (!s.config_key.empty()) {
        if (const ConfigValue* v = in.config.get(s.config_key)) {
            std::string text = on_off ? (v->boolean ? "true" : "false") : v->text;
            if (s.kind == K::path || s.kind == K::secret_file) text = config_path_value(text, in.config, in.env);
            return {text, "config " + v->where, Picked::From::config};
        }
    }
    return {std::nullopt, s.kind == K::secret_file ? "none" : "default", Picked::From::none};
}

}  // namespace rbus
