#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "app/config.h"
#include "app/context.h"
#include "base/error.h"

using namespace rbus;

namespace {

std::string config_error(const std::string& text, std::string_view section = "publish") {
    try {
        Config::parse(text, "/etc/rbus.toml", section);
    } catch (const UsageError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("config: strings, integers, booleans, comments; a section overrides the top level") {
    const std::string text = R"(# the bus
url = "rediss://bus.example:6380"   # trailing comment
workspace-id = 42
tls = true

[publish]
workspace-id = "ws-pub"
[tail]
prefix = "tail.only"
)";
    Config pub = Config::parse(text, "/etc/rbus.toml", "publish");
    REQUIRE(pub.get("url"));
    CHECK(pub.get("url")->text == "rediss://bus.example:6380");
    CHECK(pub.get("url")->where == "/etc/rbus.toml:2");
    CHECK(pub.get("workspace-id")->text == "ws-pub");
    CHECK(pub.get("workspace-id")->where == "/etc/rbus.toml:7");
    CHECK(pub.get("tls")->is_bool);
    CHECK(pub.get("tls")->boolean);
    CHECK_FALSE(pub.get("prefix"));
    CHECK(pub.path() == "/etc/rbus.toml");

    Config tail = Config::parse(text, "/etc/rbus.toml", "tail");
    CHECK(tail.get("workspace-id")->text == "42");
    CHECK(tail.get("prefix")->text == "tail.only");
    CHECK(Config::parse("", "x", "stats").empty());
}

TEST_CASE("config: errors name FILE:LINE") {
    CHECK(config_error("prefix = \"a\"\n\nworkspace = \"w\"\n") ==
          "/etc/rbus.toml:3: unknown key \"workspace\" (keys are the long option names, e.g. url, prefix, workspace-id)");
    CHECK(config_error("tls = \"yes\"\n") == "/etc/rbus.toml:1: tls must be true or false");
    CHECK(config_error("\nprefix = true\n") == "/etc/rbus.toml:2: prefix must be a string (\"...\")");
    CHECK(config_error("prefix = 1.5\n") == "/etc/rbus.toml:1: prefix must be a string (\"...\")");
    CHECK(config_error("[pub]\n") == "/etc/rbus.toml:1: unknown section [pub] (use [publish], [subscribe], [tail] or [stats])");
    CHECK(config_error("[publish.x]\nurl = \"a\"\n").rfind("/etc/rbus.toml:1: unknown section [publish.x]", 0) == 0);
    // Keys of another tool's section are checked too: a typo is found by every tool.
    CHECK(config_error("[stats]\nurll = \"a\"\n", "publish").rfind("/etc/rbus.toml:2: unknown key \"urll\"", 0) == 0);
    CHECK(config_error("prefix = \"a\"\nprefix = \"b\"\n").rfind("/etc/rbus.toml:2: invalid config: ", 0) == 0);
    CHECK(config_error("prefix = \"unterminated\n").rfind("/etc/rbus.toml:1: invalid config: ", 0) == 0);
    CHECK(config_error("= 1\n").rfind("/etc/rbus.toml:1: invalid config: ", 0) == 0);
}

TEST_CASE("config: which file") {
    char dir[] = "/tmp/rbus-cfg-XXXXXX";
    REQUIRE(mkdtemp(dir));
    std::string xdg = std::string(dir) + "/xdg";
    std::string file = xdg + "/rbus/config.toml";
    REQUIRE(std::system(("mkdir -p " + xdg + "/rbus").c_str()) == 0);
    std::ofstream(file) << "prefix = \"from.xdg\"\n";
    auto env = env_from_map({{"XDG_CONFIG_HOME", xdg}});
    CHECK(Config::load("", env, "publish").get("prefix")->text == "from.xdg");
    CHECK(Config::load("", env_from_map({{"HOME", std::string(dir) + "/none"}}), "publish").path().empty());
    CHECK(Config::load("", env_from_map({}), "publish").path().empty());
    CHECK(Config::load(file, env_from_map({}), "publish").path() == file);
    CHECK(Config::load("", env_from_map({{"RAPTORBUS_CONFIG", file}}), "tail").path() == file);
    CHECK_THROWS_AS(Config::load(std::string(dir) + "/missing.toml", env, "publish"), UsageError);
    CHECK_THROWS_AS(Config::load("", env_from_map({{"RAPTORBUS_CONFIG", std::string(dir) + "/missing"}}), "publish"),
                    UsageError);
    std::remove(file.c_str());
}

TEST_CASE("context: flag > environment > config > default, with sources") {
    Config config = Config::parse(
        "url = \"redis://cfg:1\"\nprefix = \"cfg.p\"\nworkspace-id = \"ws-cfg\"\nconnect-timeout = \"2s\"\n"
        "fail-soft = true\ninsecure = true\ncacert = \"ca.pem\"\nsni = \"bus.example\"\n",
        "/etc/rbus/config.toml", "publish");
    Context c = resolve_context(CommonOptions{}, env_from_map({}), config);
    CHECK(c.connect.url.hosts.at(0).host == "cfg");
    CHECK(c.url_source == "config /etc/rbus/config.toml:1");
    CHECK(c.prefix == "cfg.p");
    CHECK(c.sources.at("prefix") == "config /etc/rbus/config.toml:2");
    CHECK(*c.workspace_id == "ws-cfg");
    CHECK(c.connect.connect_timeout == std::chrono::milliseconds(2000));
    CHECK(c.fail_soft);
    CHECK(c.connect.tls.insecure);
    CHECK(c.connect.tls.cacert == "/etc/rbus/ca.pem");  // relative to the file
    CHECK(c.connect.tls.sni == "bus.example");
    CHECK(c.sources.at("correlation-id") == "default");

    auto env = env_from_map({{"REDIS_URL", "redis://env:2"}, {"RAPTORBUS_CHANNEL_PREFIX", "env.p"},
                             {"RAPTORBUS_FAIL_SOFT", "0"}});
    Context e = resolve_context(CommonOptions{}, env, config);
    CHECK(e.connect.url.hosts.at(0).host == "env");
    CHECK(e.prefix == "env.p");
    CHECK(e.sources.at("prefix") == "RAPTORBUS_CHANNEL_PREFIX");
    CHECK_FALSE(e.fail_soft);
    CHECK(*e.workspace_id == "ws-cfg");

    CommonOptions o;
    o.url = "redis://flag:3";
    o.prefix = "flag.p";
    o.cacert = "ca.pem";
    Context f = resolve_context(o, env, config);
    CHECK(f.connect.url.hosts.at(0).host == "flag");
    CHECK(f.prefix == "flag.p");
    CHECK(f.connect.tls.cacert == "ca.pem");  // a flag's path is the shell's
    CHECK(f.sources.at("cacert") == "--cacert");
}

TEST_CASE("context: config colour loses to NO_COLOR; bad config values name the file") {
    Config config = Config::parse("color = \"always\"\n", "/c.toml", "tail");
    CHECK(resolve_context(CommonOptions{}, env_from_map({}), config).color_flag == ColorMode::always);
    Context c = resolve_context(CommonOptions{}, env_from_map({{"NO_COLOR", "1"}}), config);
    CHECK_FALSE(c.color_flag);
    CHECK(c.sources.at("color") == "NO_COLOR");

    auto error = [](const std::string& text) {
        try {
            resolve_context(CommonOptions{}, env_from_map({}), Config::parse(text, "/c.toml", "tail"));
        } catch (const UsageError& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    CHECK(error("color = \"pink\"\n") == "invalid color \"pink\" (from config /c.toml:1): use auto, always or never");
    CHECK(error("url = \"nope://u:Secr3t@h\"\n").rfind("/c.toml:1: ", 0) == 0);
    CHECK(error("url = \"nope://u:Secr3t@h\"\n").find("Secr3t") == std::string::npos);
    CHECK(error("cert = \"c.pem\"\n") == "--cert and --key must be given together");
}

TEST_CASE("describe_context: JSON with sources, never the password") {
    CommonOptions o;
    o.url = "redis://alice:Secr3t@h:1/2";
    Context c = resolve_context(o, env_from_map({}));
    std::string text = describe_context(c);
    CHECK(text.find("Secr3t") == std::string::npos);
    CHECK(text.find(R"("url":"redis://alice:***@h:1/2","url_source":"--url","password":"***")") != std::string::npos);
    CHECK(text.find(R"x("password_source":"url (--url)")x") != std::string::npos);
    CHECK(text.find(R"("log_level":"warn")") != std::string::npos);
}
