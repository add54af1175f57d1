#include "app/context.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <utility>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <fmt/format.h>

#include "base/duration.h"
#include "base/error.h"
#include "base/named_file.h"
#include "base/text.h"

namespace rbus {

void add_common_options(CLI::App& app, CommonOptions& o) {
    const char* conn = "Connection";
    const char* ctx = "Context";
    const char* out = "Output and diagnostics";
    app.add_option("-u,--url", o.url, "Redis URL (env REDIS_URL, UPSTASH_REDIS_URL; default redis://127.0.0.1:6379)")
        ->group(conn);
    app.add_option("--password-file", o.password_file, "read the password from FILE (env RAPTORBUS_PASSWORD)")
        ->group(conn);
    app.add_option("--sentinel-password-file", o.sentinel_password_file,
                   "read the sentinels' password from FILE (redis+sentinel://; env RAPTORBUS_SENTINEL_PASSWORD)")
        ->group(conn);
    app.add_flag("--tls", o.tls, "use TLS (on for rediss://)")->group(conn);
    app.add_option("--cacert", o.cacert, "CA certificate file for TLS")->group(conn);
    app.add_option("--cert", o.cert, "client certificate for TLS")->group(conn);
    app.add_option("--key", o.key, "client private key for TLS")->group(conn);
    app.add_flag("--insecure", o.insecure, "do not verify the server certificate")->group(conn);
    app.add_option("--sni", o.sni, "TLS server name to send and verify")->group(conn);
    app.add_option("--connect-timeout", o.connect_timeout, "connect timeout (default 5s)")->group(conn);
    app.add_option("--cluster-hosts", o.cluster_hosts,
                   "send credentials only to these hosts besides the URL's (CIDR|HOST,...), wherever the cluster "
                   "or a sentinel points")
        ->type_name("LIST")->group(conn);
    app.add_flag("--no-auth-warning", o.no_auth_warning,
                 "no warning about a password on the command line or in a file others can read")
        ->group(conn);
    app.add_flag("--sharded", o.sharded,
                 "sharded pub/sub: SPUBLISH/SSUBSCRIBE on each channel's slot owner (Redis 7+, cluster; env "
                 "RAPTORBUS_SHARDED=1)")
        ->group(conn);
    app.add_option("--history-key-prefix", o.history_key_prefix,
                   "namespace of rbus's history, group and DLQ keys (default rbus)")
        ->type_name("PREFIX")
        ->group(ctx);
    app.add_option("--prefix", o.prefix, "channel prefix (env RAPTORBUS_CHANNEL_PREFIX; default raptorflow.events)")
        ->group(ctx);
    app.add_option("--channel", o.channels,
                   "a full channel name outside the prefix, e.g. sys.alert.critical (repeatable)")
        ->type_name("NAME")->allow_extra_args(false)->group(ctx);
    app.add_option("-w,--workspace-id", o.workspace_id,
                   "workspace id: publish stamps it, readers keep only its events (env RAPTORBUS_WORKSPACE_ID)")
        ->group(ctx);
    app.add_option("-c,--correlation-id", o.correlation_id,
                   "correlation id: publish sets request_id, readers keep only its events (env "
                   "RAPTORBUS_CORRELATION_ID)")
        ->group(ctx);
    app.add_option("--source-agent-id", o.source_agent_id, "source agent id (env RAPTORBUS_SOURCE_AGENT_ID)")
        ->group(ctx);
    app.add_option("--color", o.color, "auto|always|never (env NO_COLOR, CLICOLOR_FORCE)")->group(out);
    app.add_flag("-v,--verbose", o.verbose, "more diagnostics on stderr (repeatable; env RAPTORBUS_LOG_LEVEL)")
        ->group(out);
    app.add_flag("-q,--quiet", o.quiet, "errors only")->group(out);
    app.add_option("--log-format", o.log_format, "text|json")->group(out);
    app.add_flag("--fail-soft", o.fail_soft, "bus unreachable: warn and exit 0 (env RAPTORBUS_FAIL_SOFT=1)")
        ->group(out);
    app.add_option("--config", o.config,
                   "config file (env RAPTORBUS_CONFIG; default $XDG_CONFIG_HOME/rbus/config.toml if present)")
        ->group(ctx);
    app.add_flag("--print-context", o.print_context,
                 "print the resolved settings and where each came from (JSON, secrets hidden), then exit")
        ->group(ctx);
}

std::optional<bool> env_flag(const EnvLookup& env, const char* name) {
    auto v = env(name);
    if (!v) return std::nullopt;
    std::string s = ascii_lower(*v);
    if (s == "1" || s == "true" || s == "yes" || s == "y" || s == "on") return true;
    if (s == "0" || s == "false" || s == "no" || s == "n" || s == "off") return false;
    throw UsageError(fmt::format("invalid {} \"{}\": use 1, true, yes or on; 0, false, no or off", name,
                                 escape_controls(*v)));
}

namespace {

// One setting's value and where it came from.
struct Picked {
    std::optional<std::string> value;
    std::string source = "default";
};

std::string config_source(const ConfigValue& v) { return "config " + v.where; }

// flag > environment variable (when `var`) > config key > nothing.
Picked pick(const std::string& flag, std::string_view flag_name, const EnvLookup& env, const char* var,
            const Config& config, std::string_view key) {
    if (!flag.empty()) return {flag, std::string(flag_name)};
    if (var) {
        if (auto v = env(var)) return {*v, var};
    }
    if (const ConfigValue* v = config.get(key)) return {v->text, config_source(*v)};
    return {};
}

// A path from the config file: "~/" is $HOME, a relative path is relative
// to the file's directory. Paths from flags are the shell's business.
std::string config_path_value(const std::string& path, const Config& config, const EnvLookup& env) {
    if (path.rfind("~/", 0) == 0) {
        if (auto home = env("HOME")) return *home + path.substr(1);
        return path;
    }
    if (path.empty() || path[0] == '/') return path;
    std::size_t slash = config.path().rfind('/');
    return slash == std::string::npos ? path : config.path().substr(0, slash + 1) + path;
}

Picked pick_path(const std::string& flag, std::string_view flag_name, const Config& config, std::string_view key,
                 const EnvLookup& env) {
    Picked p = pick(flag, flag_name, env, nullptr, config, key);
    if (p.value && flag.empty()) p.value = config_path_value(*p.value, config, env);
    return p;
}

bool pick_flag(bool flag, std::string_view flag_name, const Config& config, std::string_view key,
               std::map<std::string, std::string>& sources) {
    if (flag) {
        sources[std::string(key)] = std::string(flag_name);
        return true;
    }
    if (const ConfigValue* v = config.get(key)) {
        sources[std::string(key)] = config_source(*v);
        return v->boolean;
    }
    sources[std::string(key)] = "default";
    return false;
}

// ssh refuses a private key others can read; a password file gets a warning.
void check_secret_file_mode(Context& c, const std::string& path, std::string_view what) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;  // a pipe, <(...), a FIFO: nothing to say
    if (st.st_mode & (S_IRGRP | S_IROTH))
        c.security_warnings.push_back({true, fmt::format("{} {} can be read by other users (mode {:04o}): chmod 600 it",
                                                         what, path, st.st_mode & 07777)});
}

std::string read_password_file(Context& c, const std::string& path) {
    check_secret_file_mode(c, path, "password file");
    std::string s = read_named_file(path, "password file", 64 * 1024);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (s.empty()) throw UsageError(fmt::format("password file {} is empty", path));
    return s;
}


// Where a bad value came from, for its error message.
std::string from(const Picked& p) { return p.source == "default" ? "" : fmt::format(" (from {})", p.source); }

void resolve_logging(Context& c, const CommonOptions& o, const EnvLookup& env, const Config& config) {
    c.quiet = o.quiet;
    if (o.quiet) {
        c.log_level = LogLevel::error;
        c.sources["log-level"] = "-q";
    } else if (o.verbose > 0) {
        c.log_level = o.verbose == 1 ? LogLevel::info : LogLevel::debug;
        c.sources["log-level"] = o.verbose == 1 ? "-v" : "-vv";
    } else if (auto lv = env("RAPTORBUS_LOG_LEVEL")) {
        auto parsed = parse_log_level(*lv);
        if (!parsed)
            throw UsageError(fmt::format("invalid RAPTORBUS_LOG_LEVEL \"{}\": use error, warning, info or debug (any case)",
                                         escape_controls(*lv)));
        c.log_level = *parsed;
        c.sources["log-level"] = "RAPTORBUS_LOG_LEVEL";
    } else {
        c.sources["log-level"] = "default";
    }
    Picked format = pick(o.log_format, "--log-format", env, nullptr, config, "log-format");
    c.sources["log-format"] = format.source;
    if (format.value) {
        if (*format.value == "text") c.log_format = LogFormat::text;
        else if (*format.value == "json") c.log_format = LogFormat::json;
        else throw UsageError(fmt::format("invalid log format \"{}\"{}: use text or json", *format.value, from(format)));
    }
    // --color beats NO_COLOR / CLICOLOR_FORCE; the config file does not.
    Picked color = pick(o.color, "--color", env, nullptr, config, "color");
    if (color.value && o.color.empty() && (env("NO_COLOR") || env("CLICOLOR_FORCE"))) color = Picked{};
    if (env("NO_COLOR") && !color.value) color.source = "NO_COLOR";
    else if (env("CLICOLOR_FORCE") && !color.value) color.source = "CLICOLOR_FORCE";
    c.sources["color"] = color.source;
    if (color.value) {
        c.color_flag = parse_color_mode(*color.value);
        if (!c.color_flag)
            throw UsageError(fmt::format("invalid color \"{}\"{}: use auto, always or never", *color.value, from(color)));
    }
}

void resolve_password(Context& c, const CommonOptions& o, const EnvLookup& env, const Config& config) {
    // Secrets, first found wins: the URL's password, --password-file,
    // RAPTORBUS_PASSWORD, UPSTASH_REDIS_TOKEN (for an Upstash URL without
    // one), then the config file's password-file.
    RedisUrl& url = c.connect.url;
    std::string& source = c.sources["password"];
    // redis://alice@host with a password from elsewhere: alice is the user.
    if (url.lone_userinfo && (!o.password_file.empty() || env("RAPTORBUS_PASSWORD") ||
                              (c.url_source == "UPSTASH_REDIS_URL" && env("UPSTASH_REDIS_TOKEN")) ||
                              config.get("password-file"))) {
        url.username = std::exchange(url.password, std::string());
        url.lone_userinfo = false;
    }
    if (!url.password.empty()) {
        source = "url (" + c.url_source + ")";
        if (c.url_source == "--url") c.url_password_on_argv = true;
    } else if (!o.password_file.empty()) {
        url.password = read_password_file(c, o.password_file);
        source = "--password-file";
    } else if (auto p = env("RAPTORBUS_PASSWORD")) {
        url.password = *p;
        source = "RAPTORBUS_PASSWORD";
    } else if (auto t = c.url_source == "UPSTASH_REDIS_URL" ? env("UPSTASH_REDIS_TOKEN") : std::nullopt) {
        url.password = *t;
        source = "UPSTASH_REDIS_TOKEN";
    } else if (const ConfigValue* f = config.get("password-file")) {
        url.password = read_password_file(c, config_path_value(f->text, config, env));
        source = config_source(*f);
    } else {
        source = "none";
    }
}

// The sentinels' own password (the URL's is the data nodes'): a file, the
// environment or the config file; never argv.
void resolve_sentinel_password(Context& c, const CommonOptions& o, const EnvLookup& env, const Config& config) {
    std::string& source = c.sources["sentinel-password"];
    std::string& password = c.connect.sentinel_password;
    if (!o.sentinel_password_file.empty()) {
        password = read_password_file(c, o.sentinel_password_file);
        source = "--sentinel-password-file";
    } else if (auto p = env("RAPTORBUS_SENTINEL_PASSWORD")) {
        password = *p;
        source = "RAPTORBUS_SENTINEL_PASSWORD";
    } else if (const ConfigValue* f = config.get("sentinel-password-file")) {
        password = read_password_file(c, config_path_value(f->text, config, env));
        source = config_source(*f);
    } else {
        source = "none";
    }
}

void resolve_tls(Context& c, const CommonOptions& o, const EnvLookup& env, const Config& config) {
    TlsOptions& tls = c.connect.tls;
    tls.enabled = pick_flag(o.tls, "--tls", config, "tls", c.sources);
    if (c.connect.url.tls()) {
        tls.enabled = true;
        c.sources["tls"] = "url";
    }
    tls.insecure = pick_flag(o.insecure, "--insecure", config, "insecure", c.sources);
    auto path = [&](const std::string& flag, std::string_view name, std::string_view key, std::string& out) {
        Picked p = pick_path(flag, name, config, key, env);
        c.sources[std::string(key)] = p.source;
        if (p.value) out = *p.value;
    };
    path(o.cacert, "--cacert", "cacert", tls.cacert);
    path(o.cert, "--cert", "cert", tls.cert);
    path(o.key, "--key", "key", tls.key);
    Picked sni = pick(o.sni, "--sni", env, nullptr, config, "sni");
    c.sources["sni"] = sni.source;
    if (sni.value) tls.sni = *sni.value;
    if (tls.cert.empty() != tls.key.empty()) throw UsageError("--cert and --key must be given together");
}

}  // namespace

Context resolve_context(const CommonOptions& o, const EnvLookup& env, const Config& config) {
    Context c;
    c.config_path = config.path();
    // Log level first: later warnings depend on it.
    resolve_logging(c, o, env, config);

    std::string url_text = "redis://127.0.0.1:6379";
    c.url_source = "default";
    if (!o.url.empty()) {
        url_text = o.url;
        c.url_source = "--url";
    } else if (auto u = env("REDIS_URL")) {
        url_text = *u;
        c.url_source = "REDIS_URL";
    } else if (auto up = env("UPSTASH_REDIS_URL")) {
        url_text = *up;
        c.url_source = "UPSTASH_REDIS_URL";
    } else if (const ConfigValue* v = config.get("url")) {
        url_text = v->text;
        c.url_source = config_source(*v);
    }
    c.sources["url"] = c.url_source;
    try {
        c.connect.url = parse_url(url_text);
    } catch (const UsageError& e) {
        if (c.url_source == "--url" || c.url_source == "default") throw;
        if (c.url_source.rfind("config ", 0) != 0) throw UsageError(fmt::format("{}: {}", c.url_source, e.what()));
        throw UsageError(fmt::format("{}: {}", c.url_source.substr(7), e.what()));
    }
    resolve_password(c, o, env, config);
    resolve_sentinel_password(c, o, env, config);
    resolve_tls(c, o, env, config);
    c.no_auth_warning = o.no_auth_warning;
    Picked hosts = pick(o.cluster_hosts, "--cluster-hosts", env, nullptr, config, "cluster-hosts");
    c.sources["cluster-hosts"] = hosts.source;
    if (hosts.value) c.connect.cluster_hosts = HostAllowList::parse(*hosts.value);
    if (!c.config_path.empty()) {
        // A config file others can change could point the credentials anywhere.
        struct stat st {};
        if (::stat(c.config_path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & (S_IWGRP | S_IWOTH)))
            c.security_warnings.push_back({false, fmt::format("config file {} can be changed by other users (mode "
                                                              "{:04o}): chmod go-w it",
                                                              c.config_path, st.st_mode & 07777)});
        else if (::stat(c.config_path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & (S_IRGRP | S_IROTH)) &&
                 !c.connect.url.password.empty() && c.url_source.rfind("config ", 0) == 0)
            c.security_warnings.push_back({true, fmt::format("config file {} holds a password and can be read by other "
                                                             "users (mode {:04o}): chmod 600 it",
                                                             c.config_path, st.st_mode & 07777)});
    }

    Picked timeout = pick(o.connect_timeout, "--connect-timeout", env, nullptr, config, "connect-timeout");
    c.sources["connect-timeout"] = timeout.source;
    if (timeout.value) {
        try {
            c.connect.connect_timeout = parse_duration(*timeout.value);
        } catch (const UsageError& e) {
            throw UsageError(fmt::format("{}{}", e.what(), from(timeout)));
        }
    }

    Picked prefix = pick(o.prefix, "--prefix", env, "RAPTORBUS_CHANNEL_PREFIX", config, "prefix");
    c.sources["prefix"] = prefix.source;
    if (prefix.value) c.prefix = *prefix.value;
    if (c.prefix.empty() || c.prefix.find_first_of(" \r\n\t") != std::string::npos)
        throw UsageError(fmt::format("invalid channel prefix \"{}\"{}", c.prefix, from(prefix)));
    auto id = [&](const std::string& flag, std::string_view name, const char* var, std::string_view key,
                  std::optional<std::string>& out) {
        Picked p = pick(flag, name, env, var, config, key);
        c.sources[std::string(key)] = p.source;
        out = p.value;
    };
    id(o.workspace_id, "--workspace-id", "RAPTORBUS_WORKSPACE_ID", "workspace-id", c.workspace_id);
    id(o.correlation_id, "--correlation-id", "RAPTORBUS_CORRELATION_ID", "correlation-id", c.correlation_id);
    id(o.source_agent_id, "--source-agent-id", "RAPTORBUS_SOURCE_AGENT_ID", "source-agent-id", c.source_agent_id);
    for (const std::string& ch : o.channels) {
        if (ch.empty() || ch.find_first_of(" \r\n\t") != std::string::npos ||
            std::any_of(ch.begin(), ch.end(), [](char x) { return is_control(x); }))
            throw UsageError(fmt::format("invalid --channel \"{}\": a channel name has no spaces or control characters",
                                         escape_controls(ch)));
        c.channels.push_back(ch);
    }

    if (auto fs = env_flag(env, "RAPTORBUS_FAIL_SOFT"); fs && !o.fail_soft) {
        c.fail_soft = *fs;
        c.sources["fail-soft"] = "RAPTORBUS_FAIL_SOFT";
    } else {
        c.fail_soft = pick_flag(o.fail_soft, "--fail-soft", config, "fail-soft", c.sources);
    }
    if (auto sh = env_flag(env, "RAPTORBUS_SHARDED"); sh && !o.sharded) {
        c.sharded = *sh;
        c.sources["sharded"] = "RAPTORBUS_SHARDED";
    } else {
        c.sharded = pick_flag(o.sharded, "--sharded", config, "sharded", c.sources);
    }
    Picked hp = pick(o.history_key_prefix, "--history-key-prefix", env, nullptr, config, "history-key-prefix");
    c.sources["history-key-prefix"] = hp.source;
    if (hp.value) c.history_prefix = *hp.value;
    if (c.history_prefix.empty() || c.history_prefix.find_first_of(" \r\n\t{}") != std::string::npos)
        throw UsageError(fmt::format("invalid history key prefix \"{}\"{}", c.history_prefix, from(hp)));
    if (auto h = env("RAPTORBUS_HISTORY")) {
        c.history = *h == "1";
        c.sources["history"] = "RAPTORBUS_HISTORY";
    } else {
        c.history = pick_flag(false, "--history", config, "history", c.sources);
    }
    return c;
}

std::string describe_context(const Context& c) {
    nlohmann::ordered_json j;
    auto source = [&](const std::string& key) {
        auto it = c.sources.find(key);
        return it == c.sources.end() ? std::string("default") : it->second;
    };
    auto opt = [](const std::optional<std::string>& v) { return v ? nlohmann::ordered_json(*v) : nullptr; };
    auto str = [](const std::string& v) { return v.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(v); };
    j["config"] = str(c.config_path);
    j["url"] = c.connect.url.redacted();
    j["url_source"] = source("url");
    j["password"] = c.connect.url.password.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json("***");
    j["password_source"] = source("password");
    j["sentinel_password"] = c.connect.sentinel_password.empty() ? nlohmann::ordered_json(nullptr)
                                                                  : nlohmann::ordered_json("***");
    j["sentinel_password_source"] = source("sentinel-password");
    j["tls"] = c.connect.tls.enabled;
    j["tls_source"] = source("tls");
    const TlsOptions& t = c.connect.tls;
    for (auto [key, value] : {std::pair{"cacert", &t.cacert}, {"cert", &t.cert}, {"key", &t.key}, {"sni", &t.sni}}) {
        j[key] = str(*value);
        j[std::string(key) + "_source"] = source(key);
    }
    j["insecure"] = t.insecure;
    j["insecure_source"] = source("insecure");
    j["connect_timeout_ms"] = c.connect.connect_timeout.count();
    j["connect_timeout_source"] = source("connect-timeout");
    j["prefix"] = c.prefix;
    j["prefix_source"] = source("prefix");
    j["channels"] = c.channels;
    j["workspace_id"] = opt(c.workspace_id);
    j["workspace_id_source"] = source("workspace-id");
    j["correlation_id"] = opt(c.correlation_id);
    j["correlation_id_source"] = source("correlation-id");
    j["source_agent_id"] = opt(c.source_agent_id);
    j["source_agent_id_source"] = source("source-agent-id");
    j["color"] = c.color_flag == ColorMode::always ? "always" : c.color_flag == ColorMode::never ? "never" : "auto";
    j["color_source"] = source("color");
    j["log_level"] = ascii_lower(log_level_name(c.log_level));
    j["log_level_source"] = source("log-level");
    j["log_format"] = c.log_format == LogFormat::json ? "json" : "text";
    j["log_format_source"] = source("log-format");
    j["fail_soft"] = c.fail_soft;
    j["fail_soft_source"] = source("fail-soft");
    j["sharded"] = c.sharded;
    j["sharded_source"] = source("sharded");
    j["history_key_prefix"] = c.history_prefix;
    j["history_key_prefix_source"] = source("history-key-prefix");
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string describe_context(const Context& c, const ContextDetails& details) {
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(describe_context(c));
    details(c, j);
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace rbus
