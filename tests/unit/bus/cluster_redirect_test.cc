// Redis Cluster routing without a server: MOVED/ASK redirections as Redis 7
// prints them, the connect options for one node, and the subscriptions that
// sharded pub/sub can express.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <string_view>

#include "redis/cluster_topology.h"
#include "app/context.h"
#include "base/error.h"
#include "bus/sharded_subscriber.h"
#include "redis/url.h"

using rbus::HostPort;
using rbus::Redirect;

TEST_CASE("parse_redirect: MOVED and ASK with host:port") {
    auto m = rbus::parse_redirect("MOVED 3999 127.0.0.1:6381");
    REQUIRE(m);
    CHECK(m->kind == Redirect::Kind::moved);
    CHECK(m->slot == 3999);
    CHECK(m->target.host == "127.0.0.1");
    CHECK(m->target.port == 6381);

    auto a = rbus::parse_redirect("ASK 0 redis-2.internal:7001", "seed");
    REQUIRE(a);
    CHECK(a->kind == Redirect::Kind::ask);
    CHECK(a->slot == 0);
    CHECK(a->target.host == "redis-2.internal");
    CHECK(a->target.port == 7001);

    auto last = rbus::parse_redirect("MOVED 16383 h:65535");
    REQUIRE(last);
    CHECK(last->slot == 16383);
    CHECK(last->target.port == 65535);
}

TEST_CASE("parse_redirect: an unknown endpoint is the host we asked") {
    // Redis 7: ":port" under unknown-endpoint, "?:port" under hostname without one.
    for (std::string_view err : {"MOVED 12182 :17392", "MOVED 12182 ?:17392"}) {
        CAPTURE(err);
        auto r = rbus::parse_redirect(err, "10.9.8.7");
        REQUIRE(r);
        CHECK(r->target.host == "10.9.8.7");
        CHECK(r->target.port == 17392);
    }
    auto none = rbus::parse_redirect("ASK 5 :7000");  // no fallback given
    REQUIRE(none);
    CHECK(none->target.host.empty());
    CHECK(none->target.port == 7000);
}

TEST_CASE("parse_redirect: IPv6 unbracketed, as Redis 7 prints it, and bracketed") {
    auto r = rbus::parse_redirect("MOVED 12182 ::1:17392");  // verbatim from redis-server 7.0
    REQUIRE(r);
    CHECK(r->slot == 12182);
    CHECK(r->target.host == "::1");
    CHECK(r->target.port == 17392);
    auto b = rbus::parse_redirect("ASK 3999 [::1]:7000");
    REQUIRE(b);
    CHECK(b->target.host == "::1");
    CHECK(b->target.port == 7000);
    auto full = rbus::parse_redirect("MOVED 1 2001:db8::7:2:7000");
    REQUIRE(full);
    CHECK(full->target.host == "2001:db8::7:2");
    CHECK(full->target.port == 7000);
    CHECK(rbus::node_name(full->target) == "[2001:db8::7:2]:7000");
}

TEST_CASE("parse_redirect: other errors and malformed redirections are not redirections") {
    for (std::string_view err : {
             "ERR unknown command 'SPUBLISH'",
             "CLUSTERDOWN Hash slot not served",
             "TRYAGAIN Multiple keys request during rehashing of slot",
             "CROSSSLOT Keys in request don't hash to the same slot",
             "moved 3999 127.0.0.1:6381",  // case matters
             "MOVED",
             "MOVED 3999",
             "MOVED 3999 ",
             "MOVEDX 3999 h:1",
             "ASK3999 h:1",
             "MOVED abc h:1",
             "MOVED 12x h:1",
             "MOVED -1 h:1",
             "MOVED 16384 h:1",
             "MOVED  3999 h:1",
             "MOVED 3999 hostonly",
             "MOVED 3999 h:",
             "MOVED 3999 h:0",
             "MOVED 3999 h:65536",
             "MOVED 3999 h:70x",
             "MOVED 3999 h:-1",
         }) {
        CAPTURE(err);
        CHECK_FALSE(rbus::parse_redirect(err, "seed"));
    }
}

TEST_CASE("node_options: the node as the only host, credentials, TLS and timeouts kept") {
    rbus::ConnectOptions base;
    base.url = rbus::parse_url("rediss://app:s3cret@seed1:7000,seed2:7001");
    base.tls.enabled = true;
    base.tls.cacert = "/etc/ca.pem";
    base.tls.cert = "/etc/client.pem";
    base.tls.key = "/etc/client.key";
    base.connect_timeout = std::chrono::milliseconds(1234);
    base.reply_timeout = std::chrono::milliseconds(5678);

    rbus::ConnectOptions o = rbus::node_options(base, HostPort{"10.0.0.9", 7009});
    CHECK(o.url.scheme == rbus::UrlScheme::rediss);
    REQUIRE(o.url.hosts.size() == 1);
    CHECK(o.url.hosts[0].host == "10.0.0.9");
    CHECK(o.url.hosts[0].port == 7009);
    CHECK(o.url.username == "app");
    CHECK(o.url.password == "s3cret");
    CHECK(o.url.db == 0);
    CHECK(o.url.tls());
    CHECK(o.tls.enabled);
    CHECK(o.tls.cacert == "/etc/ca.pem");
    CHECK(o.tls.cert == "/etc/client.pem");
    CHECK(o.tls.key == "/etc/client.key");
    CHECK(o.connect_timeout == std::chrono::milliseconds(1234));
    CHECK(o.reply_timeout == std::chrono::milliseconds(5678));
    CHECK_FALSE(o.url.is_cluster_seeds());
    // The base is untouched.
    CHECK(base.url.hosts.size() == 2);

    rbus::ConnectOptions v6 = rbus::node_options(base, HostPort{"::1", 7000});
    REQUIRE(v6.url.hosts.size() == 1);
    CHECK(v6.url.hosts[0].host == "::1");
}

TEST_CASE("node_options over a Unix socket URL") {
    rbus::ConnectOptions base;
    base.url = rbus::parse_url("unix://app:pw@/run/redis.sock?db=2");
    // The socket itself (the node a topology of the socket calls ""): unchanged.
    rbus::ConnectOptions self = rbus::node_options(base, HostPort{"", 0});
    CHECK(self.url.scheme == rbus::UrlScheme::unix_socket);
    CHECK(self.url.socket_path == "/run/redis.sock");
    CHECK(self.url.db == 2);
    // Another node (from CLUSTER SLOTS or MOVED): TCP to it, same credentials.
    rbus::ConnectOptions other = rbus::node_options(base, HostPort{"127.0.0.1", 7001});
    CHECK(other.url.scheme == rbus::UrlScheme::redis);
    REQUIRE(other.url.hosts.size() == 1);
    CHECK(other.url.hosts[0].host == "127.0.0.1");
    CHECK(other.url.hosts[0].port == 7001);
    CHECK(other.url.username == "app");
    CHECK(other.url.password == "pw");
    CHECK(other.url.db == 2);
    CHECK_FALSE(other.url.tls());
}

TEST_CASE("sharded subscriptions must be plain channels") {
    CHECK_NOTHROW(rbus::check_sharded_subscriptions({}));
    CHECK_NOTHROW(rbus::check_sharded_subscriptions({{"raptorflow.events.agent.error", false}}));
    try {
        rbus::check_sharded_subscriptions({{"raptorflow.events.a", false}, {"raptorflow.events.agent.*", true}});
        FAIL("no exception");
    } catch (const rbus::UsageError& e) {
        CHECK(e.exit_code() == 2);
        CHECK(std::string(e.what()).find("\"raptorflow.events.agent.*\" is a pattern") != std::string::npos);
    }
}
