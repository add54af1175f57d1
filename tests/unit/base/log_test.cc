#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "base/log.h"

using namespace rbus;

TEST_CASE("the text form is the seed's line") {
    Logger l;
    l.configure(LogLevel::info, LogFormat::text, "rbus-publish");
    CHECK(l.render(LogLevel::info, "Published event agent.task_started to raptorflow.events.agent.task_started",
                   {{"workspace_id", "ws-123"}, {"correlation_id", "corr-456"}, {"receivers", "2"}}) ==
          "INFO bus - Published event agent.task_started to raptorflow.events.agent.task_started "
          "workspace_id=ws-123 correlation_id=corr-456 receivers=2\n");
    CHECK(l.render(LogLevel::warn, "reconnected after 2.31s", {}) == "WARN bus - reconnected after 2.31s\n");
}

TEST_CASE("the JSON form carries the same fields") {
    Logger l;
    l.configure(LogLevel::info, LogFormat::json, "rbus-subscribe");
    auto j = nlohmann::json::parse(l.render(LogLevel::warn, "m", {{"workspace_id", "ws-1"}}));
    CHECK(j["level"] == "WARN");
    CHECK(j["logger"] == "bus");
    CHECK(j["message"] == "m");
    CHECK(j["workspace_id"] == "ws-1");
}

TEST_CASE("levels filter") {
    Logger l;
    l.configure(LogLevel::warn, LogFormat::text, "x");
    CHECK(l.enabled(LogLevel::error));
    CHECK(l.enabled(LogLevel::warn));
    CHECK_FALSE(l.enabled(LogLevel::info));
    CHECK(parse_log_level("warning") == LogLevel::warn);
    CHECK_FALSE(parse_log_level("loud"));
}

TEST_CASE("a log line from bus text: one harmless line, bidi and C1 escaped") {
    Logger l;
    l.configure(LogLevel::info, LogFormat::text, "x");
    std::string line = l.render(LogLevel::warn, "skipped invalid message on a\x1b[2J\n\u202e\u0085\xff", {{"k", "v\r"}});
    CHECK(line == "WARN bus - skipped invalid message on a\\x1b[2J\\x0a\\u202e\\u0085\\xff k=v\\x0d\n");
    l.configure(LogLevel::info, LogFormat::json, "x");
    std::string json = l.render(LogLevel::warn, "on \xff\u202e", {});
    CHECK(json.find("\\u202e") != std::string::npos);
    CHECK(nlohmann::json::parse(json)["message"] == "on \\xff\u202e");
}
