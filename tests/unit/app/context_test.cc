#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>

#include "app/context.h"
#include "base/error.h"

using namespace rbus;

TEST_CASE("defaults") {
    Context c = resolve_context(CommonOptions{}, env_from_map({}));
    CHECK(c.connect.url.redacted().rfind("redis://127.0.0.1:6379", 0) == 0);
    CHECK(c.url_source == "default");
    CHECK(c.prefix == "raptorflow.events");
    CHECK_FALSE(c.workspace_id);
    CHECK_FALSE(c.correlation_id);
    CHECK(c.log_level == LogLevel::warn);
    CHECK(c.connect.connect_timeout == std::chrono::milliseconds(5000));
    CHECK(c.channel_for("agent.task_started") == "raptorflow.events.agent.task_started");
}

TEST_CASE("flag > environment > default") {
    auto env = env_from_map({{"REDIS_URL", "redis://envhost:7000"},
                             {"UPSTASH_REDIS_URL", "redis://upstash:1"},
                             {"RAPTORBUS_CHANNEL_PREFIX", "env.prefix"},
                             {"RAPTORBUS_WORKSPACE_ID", "ws-env"},
                             {"RAPTORBUS_CORRELATION_ID", "corr-env"},
                             {"RAPTORBUS_SOURCE_AGENT_ID", "agent-env"},
                             {"RAPTORBUS_LOG_LEVEL", "debug"}});
    Context e = resolve_context(CommonOptions{}, env);
    CHECK(e.connect.url.hosts.at(0).host == "envhost");
    CHECK(e.url_source == "REDIS_URL");
    CHECK(e.prefix == "env.prefix");
    CHECK(*e.workspace_id == "ws-env");
    CHECK(*e.correlation_id == "corr-env");
    CHECK(*e.source_agent_id == "agent-env");
    CHECK(e.log_level == LogLevel::debug);

    CommonOptions o;
    o.url = "redis://flaghost:1234";
    o.prefix = "flag.prefix";
    o.workspace_id = "ws-flag";
    o.correlation_id = "corr-flag";
    o.source_agent_id = "agent-flag";
    o.verbose = 1;
    Context f = resolve_context(o, env);
    CHECK(f.connect.url.hosts.at(0).host == "flaghost");
    CHECK(f.connect.url.hosts.at(0).port == 1234);
    CHECK(f.prefix == "flag.prefix");
    CHECK(*f.workspace_id == "ws-flag");
    CHECK(*f.correlation_id == "corr-flag");
    CHECK(*f.source_agent_id == "agent-flag");
    CHECK(f.log_level == LogLevel::info);
    o.quiet = true;
    CHECK(resolve_context(o, env).log_level == LogLevel::error);
}

TEST_CASE("UPSTASH_REDIS_URL is used after REDIS_URL, with its token as the password") {
    auto env = env_from_map({{"UPSTASH_REDIS_URL", "redis://default@up.example:6379"}, {"UPSTASH_REDIS_TOKEN", "tok"}});
    Context c = resolve_context(CommonOptions{}, env);
    CHECK(c.url_source == "UPSTASH_REDIS_URL");
    CHECK(c.connect.url.password == "tok");
    CHECK(c.connect.url.redacted().find("tok") == std::string::npos);
    // The token is only for the Upstash URL.
    auto env2 = env_from_map({{"REDIS_URL", "redis://h:1"}, {"UPSTASH_REDIS_TOKEN", "tok"}});
    CHECK(resolve_context(CommonOptions{}, env2).connect.url.password.empty());
}

TEST_CASE("secrets: the URL's password, then --password-file, then RAPTORBUS_PASSWORD") {
    char path[] = "/tmp/rbus-pw-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    std::ofstream(path) << "from-file\n";
    auto env = env_from_map({{"RAPTORBUS_PASSWORD", "from-env"}});
    CommonOptions o;
    CHECK(resolve_context(o, env).connect.url.password == "from-env");
    o.password_file = path;
    CHECK(resolve_context(o, env).connect.url.password == "from-file");
    o.url = "redis://:in-url@h:1";
    Context c = resolve_context(o, env);
    CHECK(c.connect.url.password == "in-url");
    CHECK(c.url_password_on_argv);
    std::remove(path);
    o = CommonOptions{};
    o.password_file = "/nonexistent/pw";
    CHECK_THROWS_AS(resolve_context(o, env), UsageError);
}

TEST_CASE("a lone userinfo is the password, unless another source gives one: then it is the user") {
    CommonOptions o;
    o.url = "redis://s3cretPW@h:1";
    Context c = resolve_context(o, env_from_map({}));
    CHECK(c.connect.url.password == "s3cretPW");
    CHECK(c.connect.url.username.empty());
    CHECK(c.url_password_on_argv);
    CHECK(describe_context(c).find("s3cretPW") == std::string::npos);
    c = resolve_context(o, env_from_map({{"RAPTORBUS_PASSWORD", "from-env"}}));
    CHECK(c.connect.url.username == "s3cretPW");
    CHECK(c.connect.url.password == "from-env");
    CHECK_FALSE(c.url_password_on_argv);
    auto up = env_from_map({{"UPSTASH_REDIS_URL", "rediss://default@up.example:6379"}, {"UPSTASH_REDIS_TOKEN", "tok"}});
    c = resolve_context(CommonOptions{}, up);
    CHECK(c.connect.url.username == "default");
    CHECK(c.connect.url.password == "tok");
}

TEST_CASE("environment values as Python and CI write them") {
    auto level = [](const char* v) {
        return resolve_context(CommonOptions{}, env_from_map({{"RAPTORBUS_LOG_LEVEL", v}})).log_level;
    };
    CHECK(level("INFO") == LogLevel::info);
    CHECK(level("Debug") == LogLevel::debug);
    CHECK(level("WARNING") == LogLevel::warn);
    CHECK(level("ERROR") == LogLevel::error);
    CHECK(level("CRITICAL") == LogLevel::error);
    auto soft = [](const char* v) {
        return resolve_context(CommonOptions{}, env_from_map({{"RAPTORBUS_FAIL_SOFT", v}})).fail_soft;
    };
    for (const char* yes : {"1", "true", "TRUE", "yes", "On", "y"}) CHECK(soft(yes));
    for (const char* no : {"0", "false", "False", "no", "OFF", "n"}) CHECK_FALSE(soft(no));
    try {
        soft("maybe");
        FAIL("RAPTORBUS_FAIL_SOFT=maybe accepted");
    } catch (const UsageError& e) {
        CHECK(std::string(e.what()).find("RAPTORBUS_FAIL_SOFT") != std::string::npos);
    }
    try {
        level("loud");
        FAIL("RAPTORBUS_LOG_LEVEL=loud accepted");
    } catch (const UsageError& e) {
        CHECK(std::string(e.what()).find("RAPTORBUS_LOG_LEVEL") != std::string::npos);
    }
    Context c = resolve_context(CommonOptions{}, env_from_map({{"REDIS_URL", "localhost:6380"}}));
    CHECK(c.connect.url.hosts.at(0).host == "localhost");
    CHECK(c.connect.url.hosts.at(0).port == 6380);
    c = resolve_context(CommonOptions{}, env_from_map({{"REDIS_URL", "redis-host"}}));
    CHECK(c.connect.url.hosts.at(0).port == 6379);
    try {
        resolve_context(CommonOptions{}, env_from_map({{"REDIS_URL", "nope://x"}}));
        FAIL("REDIS_URL=nope://x accepted");
    } catch (const UsageError& e) {
        CHECK(std::string(e.what()).find("REDIS_URL") != std::string::npos);
    }
}

TEST_CASE("fail-soft, colour and bad values") {
    CHECK(resolve_context(CommonOptions{}, env_from_map({{"RAPTORBUS_FAIL_SOFT", "1"}})).fail_soft);
    CHECK_FALSE(resolve_context(CommonOptions{}, env_from_map({{"RAPTORBUS_FAIL_SOFT", "0"}})).fail_soft);
    CommonOptions o;
    o.color = "always";
    CHECK(resolve_context(o, env_from_map({})).color_flag == ColorMode::always);
    o.color = "sometimes";
    CHECK_THROWS_AS(resolve_context(o, env_from_map({})), UsageError);
    CHECK_THROWS_AS(resolve_context(CommonOptions{}, env_from_map({{"RAPTORBUS_LOG_LEVEL", "loud"}})), UsageError);
    CHECK_THROWS_AS(resolve_context(CommonOptions{}, env_from_map({{"REDIS_URL", "nope://x"}})), UsageError);
    o = CommonOptions{};
    o.connect_timeout = "250ms";
    CHECK(resolve_context(o, env_from_map({})).connect.connect_timeout == std::chrono::milliseconds(250));
    o.cert = "c.pem";
    CHECK_THROWS_AS(resolve_context(o, env_from_map({})), UsageError);
    o = CommonOptions{};
    o.url = "rediss://h:1";
    CHECK(resolve_context(o, env_from_map({})).connect.tls.enabled);
}
