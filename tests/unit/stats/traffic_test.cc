#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "base/timestamp.h"
#include "stats/traffic.h"

using namespace rbus;
using namespace std::chrono_literals;

namespace {

const SystemTime kNow = *parse_timestamp("2026-11-26T16:10:30.500000Z");

std::string event(std::string type, std::string priority, std::string ws, std::string ts = "2026-11-26T16:10:30.250000Z") {
    return R"({"id":"7f0c1f9e-4a70-4b8a-9a53-0a8e7ad7c6e1","type":")" + type + R"(","payload":{},"priority":")" + priority +
           R"(","request_id":null,"source_agent_id":null,"workspace_id":)" + (ws.empty() ? "null" : "\"" + ws + "\"") +
           R"(,"timestamp":")" + ts + R"("})";
}

}  // namespace

TEST_CASE("traffic: counts by type, priority and workspace, with bytes") {
    TrafficWindow w;
    std::string a = event("agent.task_started", "normal", "ws-1");
    std::string b = event("agent.task_started", "high", "");
    std::string c = event("model.inference_complete", "critical", "ws-1");
    w.add(a, kNow);
    w.add(b, kNow);
    w.add(c, kNow);
    TrafficStats s = w.stats(2.0);
    CHECK(s.seconds == 2.0);
    CHECK(s.total.events == 3);
    CHECK(s.total.bytes == a.size() + b.size() + c.size());
    CHECK(s.per_second(s.total.events) == doctest::Approx(1.5));
    CHECK(s.by_type.at("agent.task_started").events == 2);
    CHECK(s.by_type.at("agent.task_started").bytes == a.size() + b.size());
    CHECK(s.by_type.at("model.inference_complete").events == 1);
    CHECK(s.by_priority.at("normal").events == 1);
    CHECK(s.by_priority.at("high").events == 1);
    CHECK(s.by_priority.at("critical").events == 1);
    CHECK(s.by_priority.count("low") == 0);
    CHECK(s.by_workspace.at("ws-1").events == 2);
    CHECK(s.by_workspace.at(std::string(kNoWorkspace)).events == 1);
    CHECK(s.invalid == 0);
}

TEST_CASE("traffic: invalid messages are counted, never fatal") {
    TrafficWindow w;
    w.add("not json", kNow);
    w.add("[1,2]", kNow);
    w.add(R"({"payload":{}})", kNow);  // no type
    w.add(std::string("\xff\xfe", 2), kNow);
    w.add(event("agent.x", "normal", ""), kNow);
    TrafficStats s = w.stats(1.0);
    CHECK(s.invalid == 4);
    CHECK(s.invalid_bytes == 8 + 5 + 14 + 2);
    CHECK(s.total.events == 1);
}

TEST_CASE("traffic: lag from the envelope timestamp, in microseconds") {
    TrafficWindow w;
    for (int i = 0; i < 20; ++i) w.add(event("agent.x", "normal", ""), kNow);  // 250 ms late
    w.add(event("agent.x", "normal", "", "2026-11-26T16:10:20.500000Z"), kNow);  // 10 s late
    TrafficStats s = w.stats(1.0);
    CHECK(s.lag_us.count() == 21);
    CHECK(s.lag_us.percentile(50) >= 250'000);
    CHECK(s.lag_us.percentile(50) <= 252'000);
    CHECK(s.lag_us.percentile(99) == 10'000'000);
    CHECK(s.lag_us.max() == 10'000'000);
}

TEST_CASE("traffic: the other shapes; naive timestamps are UTC; a clock ahead counts as negative") {
    TrafficWindow w;
    w.add(R"({"event_type":"workflow.completed","workspace_id":"ws-9","payload":{},"timestamp":"2026-11-26T16:10:29.500000"})", kNow);
    w.add(R"({"type":"heartbeat","payload":{},"timestamp":"2026-11-26T16:10:31.500000Z"})", kNow);  // 1 s in the future
    w.add(R"({"type":"heartbeat","payload":{}})", kNow);  // no timestamp
    TrafficStats s = w.stats(1.0);
    CHECK(s.total.events == 3);
    CHECK(s.by_type.at("workflow.completed").events == 1);
    CHECK(s.by_type.at("heartbeat").events == 2);
    CHECK(s.by_workspace.at("ws-9").events == 1);
    CHECK(s.by_priority.at("normal").events == 3);
    CHECK(s.lag_us.count() + s.no_timestamp == 3);
    CHECK(s.lag_us.negatives() == 1);
    CHECK(s.lag_us.max() == 1'000'000);
}

TEST_CASE("traffic: a workspace keeps only its events; reset starts a new window") {
    TrafficWindow w(std::string("ws-1"));
    w.add(event("agent.x", "normal", "ws-1"), kNow);
    w.add(event("agent.x", "normal", "ws-2"), kNow);
    w.add(event("agent.x", "normal", ""), kNow);
    w.add("junk", kNow);
    TrafficStats s = w.stats(1.0);
    CHECK(s.total.events == 1);
    CHECK(s.other_workspaces == 2);
    CHECK(s.invalid == 1);
    CHECK(s.by_workspace.size() == 1);
    w.reset();
    TrafficStats next = w.stats(0.0);
    CHECK(next.total.events == 0);
    CHECK(next.per_second(10) == 0);
    CHECK(next.lag_us.count() == 0);
}
