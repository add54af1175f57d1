#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <fmt/format.h>
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

namespace {

// An argument that counts how often it is formatted.
struct Counted {
    int* calls;
};

// Runs f with stderr sent to a temporary file; returns what it wrote.
template <typename F>
std::string stderr_of(F f) {
    std::FILE* tmp = std::tmpfile();
    REQUIRE(tmp != nullptr);
    int saved = ::dup(STDERR_FILENO);
    ::dup2(::fileno(tmp), STDERR_FILENO);
    f();
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
    std::string text;
    std::rewind(tmp);
    for (int c; (c = std::fgetc(tmp)) != EOF;) text += static_cast<char>(c);
    std::fclose(tmp);
    return text;
}

}  // namespace

template <>
struct fmt::formatter<Counted> : fmt::formatter<int> {
    auto format(const Counted& c, fmt::format_context& ctx) const {
        ++*c.calls;
        return fmt::formatter<int>::format(*c.calls, ctx);
    }
};

TEST_CASE("a format-style call formats nothing when its level is off") {
    Logger l;
    l.configure(LogLevel::warn, LogFormat::text, "x");
    int calls = 0;
    std::string out = stderr_of([&] {
        l.debug("debug {}", Counted{&calls});
        l.info("info {} {}", Counted{&calls}, "more");
    });
    CHECK(calls == 0);
    CHECK(out.empty());
}

TEST_CASE("a format-style call writes its formatted line when its level is on") {
    Logger l;
    l.configure(LogLevel::debug, LogFormat::text, "x");
    int calls = 0;
    std::string out = stderr_of([&] {
        l.debug("attempt {} of {}", Counted{&calls}, 3);
        l.warn("kept {}: {}", "1-0", std::string("no {braces} read here"));
    });
    CHECK(calls == 1);
    CHECK(out == "DEBUG bus - attempt 1 of 3\nWARN bus - kept 1-0: no {braces} read here\n");
}

TEST_CASE("a message without arguments is written as it is, braces included") {
    Logger l;
    l.configure(LogLevel::info, LogFormat::text, "x");
    CHECK(stderr_of([&] { l.info("a {literal} message"); }) == "INFO bus - a {literal} message\n");
}

TEST_CASE("log_lazy: an argument worked out only when its line is written") {
    Logger l;
    l.configure(LogLevel::info, LogFormat::text, "x");
    int calls = 0;
    auto text = [&] {
        ++calls;
        return std::string("2.31s");
    };
    std::string out = stderr_of([&] {
        l.debug("reconnected after {}", log_lazy(text));
        l.info("reconnected after {}", log_lazy(text));
    });
    CHECK(calls == 1);
    CHECK(out == "INFO bus - reconnected after 2.31s\n");
}
