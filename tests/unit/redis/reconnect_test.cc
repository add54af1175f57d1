#include <doctest/doctest.h>

#include "redis/reconnect.h"

using namespace rbus;
using std::chrono::milliseconds;

TEST_CASE("backoff ceilings double from 100ms up to the 5s cap") {
    ReconnectPolicy p({}, [] { return 0.999999; });
    std::vector<long> seen;
    for (int i = 0; i < 9; ++i) seen.push_back(static_cast<long>(p.next_delay().count()));
    CHECK(seen == std::vector<long>{100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000});
    CHECK(p.attempts() == 9);
}

TEST_CASE("full jitter draws anywhere between zero and the ceiling") {
    double r = 0.0;
    ReconnectPolicy p({milliseconds(100), milliseconds(5000), 2.0}, [&] { return r; });
    CHECK(p.next_delay() == milliseconds(0));
    r = 0.5;
    CHECK(p.next_delay() == milliseconds(100));  // half of 200
    r = 0.25;
    CHECK(p.next_delay() == milliseconds(100));  // a quarter of 400
}

TEST_CASE("reset starts again from the initial ceiling") {
    ReconnectPolicy p({}, [] { return 1.0; });
    for (int i = 0; i < 20; ++i) p.next_delay();
    CHECK(p.ceiling() == milliseconds(5000));
    p.reset();
    CHECK(p.attempts() == 0);
    CHECK(p.next_delay() == milliseconds(100));
}

TEST_CASE("many attempts never overflow past the cap") {
    ReconnectPolicy p({milliseconds(100), milliseconds(5000), 2.0}, [] { return 1.0; });
    for (int i = 0; i < 1000; ++i) CHECK(p.next_delay() <= milliseconds(5000));
}

TEST_CASE("the default random source stays within the ceiling") {
    ReconnectPolicy p;
    for (int i = 0; i < 200; ++i) {
        auto top = p.ceiling();
        auto d = p.next_delay();
        CHECK(d >= milliseconds(0));
        CHECK(d <= top);
    }
}
