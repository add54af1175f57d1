#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "log.h"

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
