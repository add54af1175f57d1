#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "app/config.h"
#include "app/context.h"
#include "app/help_format.h"
#include "app/settings_table.h"
#include "base/error.h"

using namespace rbus;

namespace {

std::vector<std::string> flag_names(const Setting& s) {
    std::vector<std::string> names;
    std::string all = s.flags ? s.flags : "";
    for (std::size_t at = 0; at < all.size();) {
        std::size_t comma = all.find(',', at);
        if (comma == std::string::npos) comma = all.size();
        names.push_back(all.substr(at, comma - at));
        at = comma + 1;
    }
    return names;
}

// The config file's text for one row's key.
std::string config_line(const Setting& s, const std::string& value) {
    bool on_off = s.kind == SettingKind::flag || s.kind == SettingKind::flag_env_1;
    return std::string(s.config_key) + " = " + (on_off ? value : "\"" + value + "\"") + "\n";
}

Picked pick(std::string_view key, const CommonOptions& o, std::map<std::string, std::string> env,
            const std::string& config_text = "") {
    const Setting* s = find_setting(key);
    REQUIRE(s);
    EnvLookup lookup = env_from_map(std::move(env));
    Config config = Config::parse(config_text, "/etc/rbus/config.toml", "tail");
    return pick_setting(*s, SettingInputs{o, lookup, config});
}

}  // namespace

TEST_CASE("settings table: every key, flag name, variable and config key is one row's") {
    std::set<std::string> keys, flags, vars, config_keys;
    for (const Setting& s : settings_table()) {
        CAPTURE(s.key);
        CHECK(keys.insert(std::string(s.key)).second);
        for (const std::string& name : flag_names(s)) CHECK(flags.insert(name).second);
        for (const char* var : s.env)
            if (var) CHECK(vars.insert(var).second);
        if (!s.config_key.empty()) CHECK(config_keys.insert(std::string(s.config_key)).second);
    }
    CHECK(keys.size() == settings_table().size());
    CHECK(flags.count("--url"));
    CHECK(vars.count("RAPTORBUS_CHANNEL_PREFIX"));
}

TEST_CASE("settings table: each row is complete for what it does") {
    std::set<int> resolved, printed;
    for (const Setting& s : settings_table()) {
        CAPTURE(s.key);
        if (s.flags) {
            CHECK(s.help);
            CHECK(s.group);
            // CLI11 writes the flag into the member of the kind's type.
            const bool on_off = s.kind == SettingKind::flag || s.kind == SettingKind::flag_env_1;
            CHECK(bool(s.field.on) == on_off);
            CHECK(bool(s.field.count) == (s.kind == SettingKind::count));
            CHECK(bool(s.field.list) == (s.kind == SettingKind::list));
            CHECK(bool(s.field.text) == (!on_off && s.kind != SettingKind::count && s.kind != SettingKind::list));
            // Config keys are the long flag names (SPEC §2).
            if (!s.config_key.empty()) CHECK("--" + std::string(s.config_key) == s.long_flag());
        }
        if (s.land || s.resolve || s.sourced()) CHECK(s.resolve_at > 0);
        if (s.resolve_at > 0) CHECK(resolved.insert(s.resolve_at).second);
        if (s.print_at > 0) {
            CHECK(bool(s.show));
            CHECK(printed.insert(s.print_at).second);
        }
        if (s.kind == SettingKind::list) CHECK(s.config_key.empty());
    }
    // Positions run 1..N without a gap, so a new row takes N+1.
    CHECK(*resolved.rbegin() == int(resolved.size()));
    CHECK(*printed.rbegin() == int(printed.size()));
}

TEST_CASE("settings table: the config file accepts its keys, booleans as booleans, and nothing else") {
    for (const Setting& s : settings_table()) {
        if (s.config_key.empty()) continue;
        CAPTURE(s.key);
        CHECK(is_config_key(s.config_key));
        const bool on_off = s.kind == SettingKind::flag || s.kind == SettingKind::flag_env_1;
        CHECK(is_boolean_config_key(s.config_key) == on_off);
        Config config = Config::parse(config_line(s, on_off ? "true" : "x"), "/c.toml", "tail");
        REQUIRE(config.get(s.config_key));
        CHECK(config.get(s.config_key)->where == "/c.toml:1");
    }
    for (const char* not_a_key : {"channel", "channels", "verbose", "quiet", "log-level", "config", "print-context",
                                  "no-auth-warning", "password", "workspace"})
        CHECK_FALSE(is_config_key(not_a_key));
    try {
        Config::parse("workspace = \"w\"\n", "/c.toml", "tail");
        FAIL("an unknown key must be refused");
    } catch (const UsageError& e) {
        CHECK(std::string(e.what()) ==
              "/c.toml:1: unknown key \"workspace\" (keys are the long option names, e.g. url, prefix, workspace-id)");
    }
}

TEST_CASE("settings table: flag > environment > config file > default, for each kind") {
    CommonOptions flag;
    flag.prefix = "f.p";
    flag.cacert = "f.pem";
    flag.connect_timeout = "1s";
    flag.url = "redis://f:1";
    flag.sentinel_password_file = "/f/pw";
    SUBCASE("text, url, duration, path, secret file") {
        struct Row {
            const char* key;
            const char* var;  // nullptr: the kind has no variable here
            std::string flag_value, flag_source;
        };
        for (const Row& r : {Row{"prefix", "RAPTORBUS_CHANNEL_PREFIX", "f.p", "--prefix"},
                             Row{"url", "REDIS_URL", "redis://f:1", "--url"},
                             Row{"connect-timeout", nullptr, "1s", "--connect-timeout"},
                             Row{"cacert", nullptr, "f.pem", "--cacert"},
                             Row{"sentinel-password", "RAPTORBUS_SENTINEL_PASSWORD", "/f/pw",
                                 "--sentinel-password-file"}}) {
            CAPTURE(r.key);
            const Setting& s = *find_setting(r.key);
            std::map<std::string, std::string> env;
            if (r.var) env[r.var] = "from-env";
            std::string cfg = config_line(s, "from-config");
            Picked p = pick(r.key, flag, env, cfg);
            CHECK(p.value == r.flag_value);
            CHECK(p.source == r.flag_source);
            CHECK(p.from == Picked::From::flag);
            if (r.var) {
                p = pick(r.key, CommonOptions{}, env, cfg);
                CHECK(p.value == "from-env");
                CHECK(p.source == r.var);
            }
            p = pick(r.key, CommonOptions{}, {}, cfg);
            // A file named in the config file is relative to the file's directory.
            bool file = s.kind == SettingKind::path || s.kind == SettingKind::secret_file;
            CHECK(p.value == (file ? "/etc/rbus/from-config" : "from-config"));
            CHECK(p.source == "config /etc/rbus/config.toml:1");
            p = pick(r.key, CommonOptions{}, {}, "");
            CHECK_FALSE(p.value);
            CHECK(p.source == (s.kind == SettingKind::secret_file ? "none" : "default"));
        }
    }
    SUBCASE("the second variable counts when the first is unset") {
        CHECK(pick("url", CommonOptions{}, {{"UPSTASH_REDIS_URL", "redis://up:1"}}, "url = \"redis://c:1\"\n").source ==
              "UPSTASH_REDIS_URL");
        CHECK(pick("url", CommonOptions{}, {{"UPSTASH_REDIS_URL", "redis://up:1"}, {"REDIS_URL", "redis://e:1"}}).value ==
              "redis://e:1");
    }
    SUBCASE("on/off: the flag only turns on; a yes/no variable beats the config file, and is checked anyway") {
        CommonOptions on;
        on.sharded = true;
        CHECK(pick("sharded", on, {{"RAPTORBUS_SHARDED", "0"}}).source == "--sharded");
        CHECK(pick("sharded", on, {{"RAPTORBUS_SHARDED", "0"}}).on());
        Picked p = pick("sharded", CommonOptions{}, {{"RAPTORBUS_SHARDED", "off"}}, "sharded = true\n");
        CHECK_FALSE(p.on());
        CHECK(p.source == "RAPTORBUS_SHARDED");
        CHECK(pick("sharded", CommonOptions{}, {}, "sharded = true\n").on());
        CHECK(pick("sharded", CommonOptions{}, {}).source == "default");
        CHECK_THROWS_AS(pick("sharded", on, {{"RAPTORBUS_SHARDED", "maybe"}}), UsageError);
        CHECK(pick("tls", CommonOptions{}, {}, "tls = true\n").on());
    }
    SUBCASE("on/off whose variable is on only for 1 (RAPTORBUS_HISTORY)") {
        CHECK(pick("history", CommonOptions{}, {{"RAPTORBUS_HISTORY", "1"}}, "history = false\n").on());
        Picked p = pick("history", CommonOptions{}, {{"RAPTORBUS_HISTORY", "yes"}}, "history = true\n");
        CHECK_FALSE(p.on());
        CHECK(p.source == "RAPTORBUS_HISTORY");
        CHECK(pick("history", CommonOptions{}, {}, "history = true\n").source == "config /etc/rbus/config.toml:1");
    }
    SUBCASE("a count and a list come only from the command line") {
        CommonOptions o;
        o.verbose = 2;
        CHECK(pick("verbose", o, {}).value == "2");
        CHECK(pick("verbose", CommonOptions{}, {}).source == "default");
        o.channels = {"a.b"};
        Context c = resolve_context(o, env_from_map({}));
        CHECK(c.channels == std::vector<std::string>{"a.b"});
        CHECK_FALSE(c.sources.count("channels"));
    }
}

TEST_CASE("settings table: --print-context shows every printed row with its source, secrets as ***") {
    char path[] = "/tmp/rbus-settings-pw-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, "file-secret\n", 12) == 12);
    close(fd);
    CommonOptions o;
    o.sentinel_password_file = path;
    Context c = resolve_context(o, env_from_map({{"RAPTORBUS_PASSWORD", "env-secret"}}));
    std::remove(path);
    std::string text = describe_context(c);
    CHECK(text.find("secret") == std::string::npos);
    auto j = nlohmann::ordered_json::parse(text);
    for (const Setting& s : settings_table()) {
        if (s.print_at == 0) continue;
        CAPTURE(s.key);
        std::string key(s.key);
        std::replace(key.begin(), key.end(), '-', '_');
        std::string name = s.shown_as ? s.shown_as : key;
        CHECK(j.contains(name));
        if (s.kind == SettingKind::secret_file) CHECK(j[name] == "***");
        CHECK(j.contains(key + "_source") == s.print_source);
    }
    CHECK(j.size() == 22 + 20);  // 22 settings, 20 with a source
}

TEST_CASE("settings table: add_common_options registers each row's flag in its group") {
    CLI::App app;
    CommonOptions o;
    add_common_options(app, o);
    for (const Setting& s : settings_table()) {
        if (!s.flags) continue;
        CAPTURE(s.key);
        const CLI::Option* opt = app.get_option_no_throw(std::string(s.long_flag()));
        REQUIRE(opt);
        CHECK(opt->get_group() == s.group);
        CHECK(opt->get_description() == s.help);
    }
    app.parse("--prefix 3 --channel x.y -vv --tls", false);
    CHECK(o.prefix == "3");
    CHECK(o.channels == std::vector<std::string>{"x.y"});
    CHECK(o.verbose == 2);
    CHECK(o.tls);
}

TEST_CASE("settings table: the common flags' --help, as it read before the table") {
    CLI::App app{"d", "rbus-x"};
    auto formatter = std::make_shared<HelpFormatter>();
    formatter->column_width(34);  // as tool_main sets it
    app.formatter(formatter);
    CommonOptions o;
    add_common_options(app, o);
    const std::string help = app.help();
    const std::string expected = R"help(Connection:
  -u,--url URL                    Redis URL (env REDIS_URL, UPSTASH_REDIS_URL; default redis://127.0.0.1:6379)
  --password-file FILE            read the password from FILE (env RAPTORBUS_PASSWORD)
  --sentinel-password-file FILE   read the sentinels' password from FILE (redis+sentinel://; env RAPTORBUS_SENTINEL_PASSWORD)
  --tls                           use TLS (on for rediss://)
  --cacert FILE                   CA certificate file for TLS
  --cert FILE                     client certificate for TLS
  --key FILE                      client private key for TLS
  --insecure                      do not verify the server certificate
  --sni NAME                      TLS server name to send and verify
  --connect-timeout DUR           connect timeout (default 5s)
  --cluster-hosts LIST            send credentials only to these hosts besides the URL's (CIDR|HOST,...), wherever the cluster or a sentinel points
  --no-auth-warning               no warning about a password on the command line or in a file others can read
  --sharded                       sharded pub/sub: SPUBLISH/SSUBSCRIBE on each channel's slot owner (Redis 7+, cluster; env RAPTORBUS_SHARDED=1)


Context:
  --history-key-prefix PREFIX     namespace of rbus's history, group and DLQ keys (default rbus)
  --prefix PREFIX                 channel prefix (env RAPTORBUS_CHANNEL_PREFIX; default raptorflow.events)
  --channel NAME ...              a full channel name outside the prefix, e.g. sys.alert.critical (repeatable)
  -w,--workspace-id ID            workspace id: publish stamps it, readers keep only its events (env RAPTORBUS_WORKSPACE_ID)
  -c,--correlation-id ID          correlation id: publish sets request_id, readers keep only its events (env RAPTORBUS_CORRELATION_ID)
  --source-agent-id ID            source agent id (env RAPTORBUS_SOURCE_AGENT_ID)
  --config FILE                   config file (env RAPTORBUS_CONFIG; default $XDG_CONFIG_HOME/rbus/config.toml if present)
  --print-context                 print the resolved settings and where each came from (JSON, secrets hidden), then exit


Output and diagnostics:
  --color auto|always|never       auto|always|never (env NO_COLOR, CLICOLOR_FORCE)
  -v,--verbose                    more diagnostics on stderr (repeatable; env RAPTORBUS_LOG_LEVEL)
  -q,--quiet                      errors only
  --log-format text|json          text|json
  --fail-soft                     bus unreachable: warn and exit 0 (env RAPTORBUS_FAIL_SOFT=1)
)help";
    CHECK(help.find(expected) != std::string::npos);
}
