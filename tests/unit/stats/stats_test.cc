#include <doctest/doctest.h>

#include "base/error.h"
#include "stats/stats.h"

using namespace rbus;

TEST_CASE("nearest-rank percentiles") {
    CHECK(percentile({}, 50) == 0);
    CHECK(percentile({5}, 99) == 5);
    std::vector<double> v;
    for (int i = 100; i >= 1; --i) v.push_back(i);
    CHECK(percentile(v, 50) == 50);
    CHECK(percentile(v, 99) == 99);
    CHECK(percentile(v, 100) == 100);
    CHECK(percentile(v, 0) == 1);
}

TEST_CASE("INFO fields") {
    std::string info = "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\nuptime_in_seconds:42\r\n";
    CHECK(info_field(info, "redis_version") == "7.0.15");
    CHECK(info_field(info, "uptime_in_seconds") == "42");
    CHECK(info_field(info, "redis") == "");
    CHECK(info_field(info, "missing") == "");
}

TEST_CASE("--min-subscribers TYPE=N") {
    MinSubscribers m = parse_min_subscribers("agent.task_started=2");
    CHECK(m.type == "agent.task_started");
    CHECK(m.count == 2);
    CHECK(parse_min_subscribers("heartbeat=0").count == 0);
    CHECK_THROWS_AS(parse_min_subscribers("agent.x"), UsageError);
    CHECK_THROWS_AS(parse_min_subscribers("=2"), UsageError);
    CHECK_THROWS_AS(parse_min_subscribers("agent.x="), UsageError);
    CHECK_THROWS_AS(parse_min_subscribers("agent.x=-1"), UsageError);
    CHECK_THROWS_AS(parse_min_subscribers("agent.x=two"), UsageError);
    CHECK_THROWS_WITH_AS(parse_min_subscribers("agent.x=1.5"),
                         "invalid --min-subscribers \"agent.x=1.5\": N must be a whole number", UsageError);
}

TEST_CASE("--check thresholds") {
    Context ctx;
    StatsReport r;
    r.server.ping_rtt_ms = {0.2, 0.3, 0.4};
    r.server.channels = {{"raptorflow.events.agent.task_started", 2}, {"raptorflow.events.model.done", 1}};
    CHECK(r.server.subscribers_of("raptorflow.events.agent.task_started") == 2);
    CHECK(r.server.subscribers_of("raptorflow.events.nobody") == 0);

    CHECK(check_failures(r, ctx, {}).empty());
    CheckThresholds t;
    t.max_rtt = Duration(1);
    t.min_subscribers = {{"agent.task_started", 2}, {"model.done", 1}};
    CHECK(check_failures(r, ctx, t).empty());

    t.max_rtt = Duration(0);
    t.min_subscribers = {{"agent.task_started", 3}, {"nobody.listens", 1}, {"model.done", 1}};
    auto failures = check_failures(r, ctx, t);
    REQUIRE(failures.size() == 3);
    CHECK(failures[0] == "PING p99 0.40ms > 0ms");
    CHECK(failures[1] == "agent.task_started has 2 subscriber(s) < 3");
    CHECK(failures[2] == "nobody.listens has 0 subscriber(s) < 1");
}
