#include <doctest/doctest.h>

#include <regex>
#include <set>
#include <sstream>

#include "stats/stats_fixtures.h"
#include "stats/stats_render.h"
#include "base/timestamp.h"

using namespace rbus;
using namespace rbus::fixtures;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream is(text);
    for (std::string line; std::getline(is, line);) out.push_back(line);
    return out;
}

}  // namespace

TEST_CASE("stats JSON: one object, traffic null without a window") {
    Json j = report_json(sample_report(false));
    CHECK(j["url"] == "redis://127.0.0.1:6379/0");
    CHECK(j["server"]["version"] == "7.0.15");
    CHECK(j["server"]["ping_rtt_ms"]["samples"] == 3);
    CHECK(j["channels"][0]["subscribers"] == 2);
    CHECK(j["pattern_subscriptions"] == 1);
    CHECK(j["published_counters"]["raptorflow.events.agent.task_started"] == 1532);
    CHECK(j["workspace_id"].is_null());
    CHECK(j["traffic"].is_null());
}

TEST_CASE("stats JSON: the window") {
    Json t = report_json(sample_report(true))["traffic"];
    CHECK(t["seconds"] == 2.0);
    CHECK(t["events"] == 2);
    CHECK(t["events_per_second"] == 1.0);
    CHECK(t["invalid"] == 1);
    CHECK(t["by_type"]["agent.task_started"]["events"] == 2);
    CHECK(t["by_type"]["agent.task_started"]["per_second"] == 1.0);
    CHECK(t["by_priority"]["high"]["events"] == 1);
    CHECK(t["by_priority"]["normal"]["events"] == 1);
    CHECK(t["by_workspace"]["ws\\1"]["events"] == 1);
    CHECK(t["by_workspace"]["-"]["events"] == 1);
    CHECK(t["lag_ms"]["samples"] == 2);
    CHECK(t["lag_ms"]["p50"].get<double>() == doctest::Approx(10.0).epsilon(0.01));
    CHECK(t["lag_ms"]["p99"] == 1000.0);
    CHECK(t["lag_ms"]["max"] == 1000.0);
}

TEST_CASE("stats table: aligned columns, colour only when asked") {
    std::string plain = render_table(sample_report(true), false);
    CHECK(plain.find('\x1b') == std::string::npos);
    CHECK(plain.find("SERVER  redis://127.0.0.1:6379/0") != std::string::npos);
    CHECK(plain.find("TRAFFIC  2.00s window") != std::string::npos);
    std::vector<std::string> channel_rows;
    for (const auto& l : lines_of(plain))
        if (l.find("CHANNEL ") != std::string::npos || l.find("  raptorflow.events.") == 0) channel_rows.push_back(l);
    REQUIRE(channel_rows.size() == 3);
    CHECK(channel_rows[0].size() == channel_rows[1].size());
    CHECK(channel_rows[1].size() == channel_rows[2].size());
    CHECK(channel_rows[1].substr(channel_rows[1].size() - 4) == "1532");
    CHECK(channel_rows[2].back() == '-');  // no counter for that channel

    std::string coloured = render_table(sample_report(true), true);
    CHECK(coloured.find("\x1b[") != std::string::npos);
    CHECK(render_table(sample_report(false), false).find("TRAFFIC") == std::string::npos);
}

TEST_CASE("prometheus: label values escaped") {
    CHECK(prometheus_label_value("plain") == "plain");
    CHECK(prometheus_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}

TEST_CASE("prometheus: every sample has its family's TYPE; names and values valid") {
    std::string text = render_prometheus(sample_report(true));
    std::regex sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (\S+)$)");
    std::set<std::string> typed, summaries;
    int samples = 0;
    for (const auto& line : lines_of(text)) {
        if (line.rfind("# HELP ", 0) == 0) continue;
        std::smatch m;
        if (line.rfind("# TYPE ", 0) == 0) {
            std::istringstream is(line.substr(7));
            std::string name, type;
            is >> name >> type;
            CHECK(typed.insert(name).second);  // one TYPE per family
            if (type == "summary") summaries.insert(name);
            continue;
        }
        REQUIRE_MESSAGE(std::regex_match(line, m, sample), line);
        std::string name = m[1];
        CHECK(name.rfind("rbus_", 0) == 0);
        std::string family = name;
        for (std::string suffix : {"_sum", "_count"})
            if (name.size() > suffix.size() && name.ends_with(suffix) &&
                summaries.count(name.substr(0, name.size() - suffix.size())))
                family = name.substr(0, name.size() - suffix.size());
        CHECK_MESSAGE(typed.count(family) == 1, line);
        CHECK_NOTHROW((void)std::stod(m[5].str()));
        ++samples;
    }
    CHECK(samples > 20);
    CHECK(text.find("rbus_channel_subscribers{channel=\"raptorflow.events.x\\\"y\"} 11\n") != std::string::npos);
    CHECK(text.find("rbus_events_per_second_by_workspace{workspace=\"ws\\\\1\"} 0.5\n") != std::string::npos);
    CHECK(text.find("rbus_window_events_by_type{type=\"agent.task_started\"} 2\n") != std::string::npos);
    CHECK(text.find("rbus_bus_lag_seconds{quantile=\"0.99\"} 1\n") != std::string::npos);
    CHECK(text.find("rbus_bus_lag_seconds_count 2\n") != std::string::npos);
    CHECK(render_prometheus(sample_report(false)).find("rbus_window_seconds") == std::string::npos);
}

TEST_CASE("--check lines") {
    StatsReport r = sample_report(false);
    CHECK(check_ok_line(r) ==
          "OK redis://127.0.0.1:6379/0 reachable: redis 7.0.15, PING p50 0.20ms p99 0.30ms, 2 channel(s) under raptorflow.events");
    CHECK(check_fail_line(r, {"a", "b"}) == "FAIL redis://127.0.0.1:6379/0: a; b (redis 7.0.15, PING p50 0.20ms p99 0.30ms)");
    CHECK(check_unreachable_line("redis://h:1", "refused") == "UNREACHABLE redis://h:1: refused");
    CHECK(format_ms(0.214) == "0.21ms");
    CHECK(format_ms(10010) == "10.01s");
    CHECK(format_bytes(512) == "512 B");
    CHECK(format_bytes(1536) == "1.5 KiB");
}

namespace {
// Names as anyone who can SUBSCRIBE, SET or PUBLISH can make them.
StatsReport hostile_report() {
    StatsReport r = sample_report(false);
    r.server.version = "7.0\x1b[2J";
    r.server.channels = {{"raptorflow.events.a\x1b]52;c;Zm9v\x07\x1b[2J", 1}, {"raptorflow.events.b\xff", 1},
                         {"raptorflow.events.b\xfe", 1}, {"raptorflow.events.c\r\u202e", 1}};
    r.server.published_counters = {{"raptorflow.events.a\x1b]52;c;Zm9v\x07\x1b[2J", 5}};
    TrafficWindow w;
    SystemTime now = *parse_timestamp("2026-11-26T16:10:31.000000Z");
    w.add("{\"type\":\"t\\u001b[31m.x\",\"workspace_id\":\"ws\\u009b1m\",\"timestamp\":\"2026-11-26T16:10:30.000000Z\"}", now);
    r.traffic = w.stats(1.0);
    return r;
}
}  // namespace

TEST_CASE("stats table and --check: no escape sequence from a name reaches the terminal") {
    for (bool color : {false, true}) {
        std::string table = render_table(hostile_report(), color);
        if (!color) CHECK(table.find('\x1b') == std::string::npos);
        CHECK(table.find('\x07') == std::string::npos);
        CHECK(table.find('\r') == std::string::npos);
        CHECK(table.find("\xc2\x9b") == std::string::npos);
        CHECK(table.find("\xe2\x80\xae") == std::string::npos);
        CHECK(table.find("a\\u001b]52;c;Zm9v\\u0007\\u001b[2J") != std::string::npos);
        CHECK(table.find("b\\xff") != std::string::npos);
    }
    std::string line = check_ok_line(hostile_report());
    CHECK(line.find('\x1b') == std::string::npos);
    CHECK(line.find("7.0\\u001b[2J") != std::string::npos);
    CHECK(check_fail_line(hostile_report(), {"x\x1b[2J has 0"}).find('\x1b') == std::string::npos);
    CHECK(check_unreachable_line("u", "err\x1b[2J\n").find('\x1b') == std::string::npos);
}

TEST_CASE("stats JSON stays valid UTF-8: invalid bytes one-to-one, never U+FFFD") {
    Json j = report_json(hostile_report());
    std::string text = j.dump();  // throws type_error.316 when a string is not UTF-8
    CHECK(text.find("\xef\xbf\xbd") == std::string::npos);
    std::set<std::string> names;
    for (const auto& c : j["channels"]) names.insert(c["channel"].get<std::string>());
    CHECK(names.count("raptorflow.events.b\\xff") == 1);
    CHECK(names.count("raptorflow.events.b\\xfe") == 1);
    CHECK(names.size() == 4);
}

TEST_CASE("prometheus: labels from the bus escaped, valid UTF-8, one series per channel") {
    std::string text = render_prometheus(hostile_report());
    CHECK(text.find('\r') == std::string::npos);
    CHECK(text.find('\x1b') == std::string::npos);
    CHECK(text.find('\xff') == std::string::npos);
    CHECK(text.find("\xe2\x80\xae") == std::string::npos);
    CHECK(text.find(R"(channel="raptorflow.events.b\\xff")") != std::string::npos);
    CHECK(text.find(R"(channel="raptorflow.events.b\\xfe")") != std::string::npos);
    CHECK(text.find(R"(channel="raptorflow.events.c\\u000d\\u202e")") != std::string::npos);
    CHECK(prometheus_label_value("a\x1b") == "a\\\\u001b");
}

TEST_CASE("--check and --json say when the certificate is not verified") {
    StatsReport r = sample_report(false);
    r.tls = true;
    r.tls_verified = false;
    CHECK(check_ok_line(r).find(", TLS certificate NOT verified (--insecure)") != std::string::npos);
    CHECK(check_fail_line(r, {"x"}).find("TLS certificate NOT verified") != std::string::npos);
    Json j = report_json(r);
    CHECK(j["tls"]["enabled"] == true);
    CHECK(j["tls"]["certificate_verified"] == false);
    r.tls_verified = true;
    CHECK(check_ok_line(r).find("NOT verified") == std::string::npos);
}
