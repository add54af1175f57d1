#include "context.h"

#include <fstream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "duration.h"
#include "error.h"

namespace rbus {

std::string Context::channel_for(std::string_view type) const {
    std::string channel;
    channel.reserve(prefix.size() + 1 + type.size());
    channel += prefix;
    channel += '.';
    channel += type;
    return channel;
}

void add_common_options(CLI::App& app, CommonOptions& o) {
    const char* conn = "Connection";
    const char* ctx = "Context";
    const char* out = "Output and diagnostics";
    app.add_option("-u,--url", o.url, "Redis URL (env REDIS_URL, UPSTASH_REDIS_URL; default redis://127.0.0.1:6379)")
        ->group(conn);
    app.add_option("--password-file", o.password_file, "read the password from FILE (env RAPTORBUS_PASSWORD)")
        ->group(conn);
    app.add_flag("--tls", o.tls, "use TLS (on for rediss://)")->group(conn);
    app.add_option("--cacert", o.cacert, "CA certificate file for TLS")->group(conn);
    app.add_option("--cert", o.cert, "client certificate for TLS")->group(conn);
    app.add_option("--key", o.key, "client private key for TLS")->group(conn);
    app.add_flag("--insecure", o.insecure, "do not verify the server certificate")->group(conn);
    app.add_option("--sni", o.sni, "TLS server name to send and verify")->group(conn);
    app.add_option("--connect-timeout", o.connect_timeout, "connect timeout (default 5s)")->group(conn);
    app.add_option("--prefix", o.prefix, "channel prefix (env RAPTORBUS_CHANNEL_PREFIX; default raptorflow.events)")
        ->group(ctx);
    app.add_option("-w,--workspace-id", o.workspace_id, "workspace id (env RAPTORBUS_WORKSPACE_ID)")->group(ctx);
    app.add_option("-c,--correlation-id", o.correlation_id, "correlation id (env RAPTORBUS_CORRELATION_ID)")
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
}

namespace {

std::optional<std::string> pick(const std::string& flag, const EnvLookup& env, const char* var) {
    if (!flag.empty()) return flag;
    return env(var);
}

std::string read_password_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UsageError(fmt::format("cannot read password file {}", path));
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (s.empty()) throw UsageError(fmt::format("password file {} is empty", path));
    return s;
}

}  // namespace

Context resolve_context(const CommonOptions& o, const EnvLookup& env) {
    Context c;

    // Log level first: later warnings depend on it.
    c.quiet = o.quiet;
    if (o.quiet) {
        c.log_level = LogLevel::error;
    } else if (o.verbose > 0) {
        c.log_level = o.verbose == 1 ? LogLevel::info : LogLevel::debug;
    } else if (auto lv = env("RAPTORBUS_LOG_LEVEL")) {
        auto parsed = parse_log_level(*lv);
        if (!parsed) throw UsageError(fmt::format("invalid RAPTORBUS_LOG_LEVEL \"{}\": use error, warn, info or debug", *lv));
        c.log_level = *parsed;
    }
    if (!o.log_format.empty()) {
        if (o.log_format == "text") c.log_format = LogFormat::text;
        else if (o.log_format == "json") c.log_format = LogFormat::json;
        else throw UsageError(fmt::format("invalid --log-format \"{}\": use text or json", o.log_format));
    }
    if (!o.color.empty()) {
        c.color_flag = parse_color_mode(o.color);
        if (!c.color_flag) throw UsageError(fmt::format("invalid --color \"{}\": use auto, always or never", o.color));
    }

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
    }
    c.connect.url = parse_url(url_text);
    RedisUrl& url = c.connect.url;

    // Secrets, first found wins: the URL's password, --password-file,
    // RAPTORBUS_PASSWORD, UPSTASH_REDIS_TOKEN (for an Upstash URL without one).
    if (!url.password.empty()) {
        if (c.url_source == "--url")
            c.url_password_on_argv = true;
    } else if (!o.password_file.empty()) {
        url.password = read_password_file(o.password_file);
    } else if (auto p = env("RAPTORBUS_PASSWORD")) {
        url.password = *p;
    } else if (c.url_source == "UPSTASH_REDIS_URL") {
        if (auto t = env("UPSTASH_REDIS_TOKEN")) url.password = *t;
    }

    c.connect.tls.enabled = o.tls || url.tls();
    c.connect.tls.cacert = o.cacert;
    c.connect.tls.cert = o.cert;
    c.connect.tls.key = o.key;
    c.connect.tls.sni = o.sni;
    c.connect.tls.insecure = o.insecure;
    if (!o.cert.empty() != !o.key.empty()) throw UsageError("--cert and --key must be given together");
    if (!o.connect_timeout.empty()) c.connect.connect_timeout = parse_duration(o.connect_timeout);

    if (auto p = pick(o.prefix, env, "RAPTORBUS_CHANNEL_PREFIX")) c.prefix = *p;
    if (c.prefix.empty() || c.prefix.find_first_of(" \r\n\t") != std::string::npos)
        throw UsageError(fmt::format("invalid channel prefix \"{}\"", c.prefix));
    c.workspace_id = pick(o.workspace_id, env, "RAPTORBUS_WORKSPACE_ID");
    c.correlation_id = pick(o.correlation_id, env, "RAPTORBUS_CORRELATION_ID");
    c.source_agent_id = pick(o.source_agent_id, env, "RAPTORBUS_SOURCE_AGENT_ID");
    c.fail_soft = o.fail_soft || env("RAPTORBUS_FAIL_SOFT") == std::optional<std::string>("1");
    return c;
}

}  // namespace rbus
