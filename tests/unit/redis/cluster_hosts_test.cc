#include <doctest/doctest.h>

#include "redis/cluster_hosts.h"
#include "base/error.h"
#include "redis/url.h"

using namespace rbus;

TEST_CASE("--cluster-hosts: addresses, CIDR prefixes and host names") {
    HostAllowList l = HostAllowList::parse("10.0.0.0/8,192.168.1.7,fd00::/8,Redis-1.Internal");
    CHECK(l.allows("10.1.2.3"));
    CHECK_FALSE(l.allows("11.0.0.1"));
    CHECK(l.allows("192.168.1.7"));
    CHECK_FALSE(l.allows("192.168.1.8"));
    CHECK(l.allows("fd12::1"));
    CHECK_FALSE(l.allows("fe80::1"));
    CHECK(l.allows("redis-1.internal"));
    CHECK_FALSE(l.allows("redis-1.internal.evil"));
    CHECK_FALSE(l.allows("10.0.0.1.evil"));  // a name is not an address
    CHECK(HostAllowList::parse("0.0.0.0/0").allows("8.8.8.8"));
    CHECK(HostAllowList::parse("10.0.0.0/12").allows("10.15.255.255"));
    CHECK_FALSE(HostAllowList::parse("10.0.0.0/12").allows("10.16.0.0"));
}

TEST_CASE("--cluster-hosts: bad entries are usage errors") {
    for (const char* bad : {"", "10.0.0.0/33", "a,,b", "host/8", "10.0.0.0/x", "h\x1b[2J", "::1/129"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(HostAllowList::parse(bad), UsageError);
    }
}

TEST_CASE("credentials go to the URL's hosts and to allowed nodes only") {
    HostAllowList l = HostAllowList::parse("10.0.0.0/8");
    std::vector<HostPort> seeds{{"seed.example", 7000}};
    CHECK_NOTHROW(check_credentials_target(l, seeds, HostPort{"seed.example", 7000}, "the cluster's topology"));
    CHECK_NOTHROW(check_credentials_target(l, seeds, HostPort{"10.9.9.9", 7001}, "the cluster's topology"));
    CHECK_THROWS_WITH_AS(check_credentials_target(l, seeds, HostPort{"203.0.113.5", 6379}, "a sentinel"),
                         "refusing to send credentials to 203.0.113.5:6379 (named by a sentinel): not in "
                         "--cluster-hosts 10.0.0.0/8",
                         ConnectError);
    CHECK_NOTHROW(check_credentials_target(HostAllowList{}, seeds, HostPort{"203.0.113.5", 6379}, "x"));  // no list
}
