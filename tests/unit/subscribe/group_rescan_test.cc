#include <doctest/doctest.h>

#include "subscribe/group_rescan.h"

using namespace rbus;
using std::chrono::milliseconds;

TEST_CASE("--group with patterns looks for new streams every 2 s, less often when a scan is costly") {
    GroupRescan r(true);
    Clock::time_point t0{};
    CHECK(r.due(t0));  // before the first scan
    r.scanned(t0, t0 + milliseconds(20));
    CHECK_FALSE(r.due(t0 + milliseconds(2019)));
    CHECK(r.due(t0 + milliseconds(2020)));
    r.scanned(t0, t0 + milliseconds(500));  // a big keyspace: at most a tenth of the time scanning
    CHECK(r.next() == t0 + milliseconds(5500));
}

TEST_CASE("--group without patterns never scans again: its streams are known") {
    GroupRescan r(false);
    CHECK_FALSE(r.due(Clock::time_point{} + milliseconds(1000000)));
}

TEST_CASE("the streams found that were not read yet; a group on them starts at their beginning") {
    CHECK(new_streams({"a", "b", "d"}, {"a", "c", "d"}) == std::vector<std::string>{"b"});
    CHECK(new_streams({"a"}, {"a"}).empty());
    CHECK(start_on_new_stream("$") == "0");
    CHECK(start_on_new_stream("1700000000000-0") == "1700000000000-0");  // --since placed it
}
