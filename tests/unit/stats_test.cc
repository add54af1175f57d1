#include <doctest/doctest.h>

#include "stats.h"

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
