// Redis Cluster topology without a server: CLUSTER SLOTS replies built by our
// RESP reader (resp_reader.h) from RESP bytes (a Connection over a FakeTransport), slot
// owners, channels grouped per owning node. MOVED/ASK and per-node connect
// options: cluster_redirect_test.cc.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "redis/cluster_topology.h"
#include "redis/connection.h"
#include "redis/crc16.h"
#include "base/error.h"
#include "redis/fake_transport.h"

using rbus::ClusterTopology;
using rbus::HostPort;

namespace {

// One reply as read_reply builds it from the bytes a server would send.
rbus::Reply topo_reply(std::string resp) {
    auto t = std::make_unique<rbus::testing::FakeTransport>();
    t->chunks = {std::move(resp)};
    rbus::Connection conn(std::move(t));
    rbus::Reply r = conn.read_reply(std::nullopt);
    REQUIRE(r);
    return r;
}

std::string topo_bulk(std::string_view s) { return fmt::format("${}\r\n{}\r\n", s.size(), s); }

// A node as Redis 7 lists it: [host, port, id, {metadata}] (RESP2: an array).
std::string topo_node(std::string_view host, int port, std::string_view id) {
    return fmt::format("*4\r\n{}:{}\r\n{}*0\r\n", topo_bulk(host), port, topo_bulk(id));
}

// A slot range: [first, last, master, replica...].
std::string topo_range(int first, int last, const std::vector<std::string>& nodes) {
    std::string out = fmt::format("*{}\r\n:{}\r\n:{}\r\n", nodes.size() + 2, first, last);
    for (const std::string& n : nodes) out += n;
    return out;
}

std::string topo_array(const std::vector<std::string>& items) {
    std::string out = fmt::format("*{}\r\n", items.size());
    for (const std::string& i : items) out += i;
    return out;
}

ClusterTopology topo_parse(const std::string& resp, std::string_view fallback = "seed.example") {
    rbus::Reply r = topo_reply(resp);
    return rbus::parse_cluster_slots(r.get(), fallback);
}

// Three masters, listed out of slot order (Redis lists them as it likes).
const std::string kTopoIdA(40, 'a'), kTopoIdB(40, 'b'), kTopoIdC(40, 'c');
std::string topo_three_masters() {
    return topo_array({
        topo_range(10923, 16383, {topo_node("10.0.0.3", 7002, kTopoIdC), topo_node("10.0.0.6", 7005, "f6")}),
        topo_range(0, 5460, {topo_node("10.0.0.1", 7000, kTopoIdA), topo_node("10.0.0.4", 7003, "f4")}),
        topo_range(5461, 10922, {topo_node("10.0.0.2", 7001, kTopoIdB), topo_node("10.0.0.5", 7004, "f5")}),
    });
}

bool topo_is(const std::optional<HostPort>& n, std::string_view host, int port) {
    return n && n->host == host && n->port == port;
}

ClusterTopology topo_manual(std::vector<rbus::SlotRange> ranges) {
    ClusterTopology t;
    t.ranges = std::move(ranges);
    return t;
}

}  // namespace

TEST_CASE("CLUSTER SLOTS with three masters and replicas: sorted ranges, node ids") {
    ClusterTopology t = topo_parse(topo_three_masters());
    CHECK(t.cluster);
    REQUIRE(t.ranges.size() == 3);
    CHECK(t.ranges[0].first == 0);
    CHECK(t.ranges[0].last == 5460);
    CHECK(t.ranges[1].first == 5461);
    CHECK(t.ranges[1].last == 10922);
    CHECK(t.ranges[2].first == 10923);
    CHECK(t.ranges[2].last == 16383);
    CHECK(t.ranges[0].master.host == "10.0.0.1");
    CHECK(t.ranges[0].master.port == 7000);
    CHECK(t.ranges[0].master_id == kTopoIdA);
    CHECK(t.ranges[1].master_id == kTopoIdB);
    CHECK(t.ranges[2].master_id == kTopoIdC);
    REQUIRE(t.ranges[2].replicas.size() == 1);
    CHECK(t.ranges[2].replicas[0].host == "10.0.0.6");
    CHECK(t.ranges[2].replicas[0].port == 7005);
}

TEST_CASE("owner() at the edges of each range and for slots nobody serves") {
    ClusterTopology t = topo_parse(topo_three_masters());
    CHECK(topo_is(t.owner(0), "10.0.0.1", 7000));
    CHECK(topo_is(t.owner(5460), "10.0.0.1", 7000));
    CHECK(topo_is(t.owner(5461), "10.0.0.2", 7001));
    CHECK(topo_is(t.owner(10922), "10.0.0.2", 7001));
    CHECK(topo_is(t.owner(10923), "10.0.0.3", 7002));
    CHECK(topo_is(t.owner(16383), "10.0.0.3", 7002));
    CHECK(topo_is(t.owner(rbus::hash_slot("foo")), "10.0.0.3", 7002));  // 12182

    // Slots 0-99, 201-299 and 401-16383 unassigned (a cluster being set up).
    ClusterTopology gaps = topo_parse(topo_array({
        topo_range(300, 400, {topo_node("10.0.0.2", 7001, kTopoIdB)}),
        topo_range(100, 200, {topo_node("10.0.0.1", 7000, kTopoIdA)}),
    }));
    CHECK_FALSE(gaps.owner(0));
    CHECK_FALSE(gaps.owner(99));
    CHECK(topo_is(gaps.owner(100), "10.0.0.1", 7000));
    CHECK(topo_is(gaps.owner(200), "10.0.0.1", 7000));
    CHECK_FALSE(gaps.owner(201));
    CHECK_FALSE(gaps.owner(299));
    CHECK(topo_is(gaps.owner(300), "10.0.0.2", 7001));
    CHECK(topo_is(gaps.owner(400), "10.0.0.2", 7001));
    CHECK_FALSE(gaps.owner(401));
    CHECK_FALSE(gaps.owner(16383));

    ClusterTopology none = topo_parse("*0\r\n");  // a node that serves no slots yet
    CHECK(none.ranges.empty());
    CHECK_FALSE(none.owner(0));
    CHECK(none.masters().empty());
}

TEST_CASE("masters() and replicas(): each node once, in slot order") {
    // Node A owns two ranges; replica R replicates both A and B.
    ClusterTopology t = topo_parse(topo_array({
        topo_range(9000, 16383, {topo_node("a", 7000, kTopoIdA), topo_node("r", 7010, "r1")}),
        topo_range(100, 8999, {topo_node("b", 7001, kTopoIdB), topo_node("s", 7011, "s1"),
                               topo_node("r", 7010, "r1")}),
        topo_range(0, 99, {topo_node("a", 7000, kTopoIdA), topo_node("r", 7010, "r1")}),
    }));
    std::vector<HostPort> m = t.masters();
    REQUIRE(m.size() == 2);
    CHECK(m[0].host == "a");  // slots 0-99 come first
    CHECK(m[1].host == "b");
    std::vector<HostPort> r = t.replicas();
    REQUIRE(r.size() == 2);
    CHECK(r[0].host == "r");
    CHECK(r[0].port == 7010);
    CHECK(r[1].host == "s");
    // Same host, other port: another node.
    ClusterTopology ports = topo_parse(topo_array({
        topo_range(0, 100, {topo_node("h", 7000, "x")}),
        topo_range(101, 200, {topo_node("h", 7001, "y")}),
    }));
    CHECK(ports.masters().size() == 2);
    CHECK(ports.replicas().empty());
}

TEST_CASE("a node without a known address is the host we asked; IPv6 hosts are kept") {
    // What Redis 7.0 sends: an empty host (ip), "?" (hostname, none set), nil
    // (cluster-preferred-endpoint-type unknown-endpoint), metadata after the id.
    std::string id(40, 'd');
    ClusterTopology t = topo_parse(topo_array({
        topo_range(0, 100, {"*4\r\n$0\r\n\r\n:7000\r\n" + topo_bulk(id) + "*0\r\n"}),
        topo_range(200, 300, {"*4\r\n$1\r\n?\r\n:7001\r\n" + topo_bulk(id) + "*2\r\n$2\r\nip\r\n$0\r\n\r\n"}),
        topo_range(400, 500, {"*4\r\n$-1\r\n:7002\r\n" + topo_bulk(id) + "*2\r\n$2\r\nip\r\n$0\r\n\r\n"}),
        topo_range(600, 700, {topo_node("::1", 7003, id), topo_node("", 7004, "rep")}),
    }), "10.1.2.3");
    REQUIRE(t.ranges.size() == 4);
    CHECK(t.ranges[0].master.host == "10.1.2.3");
    CHECK(t.ranges[0].master.port == 7000);
    CHECK(t.ranges[0].master_id == id);
    CHECK(t.ranges[1].master.host == "10.1.2.3");
    CHECK(t.ranges[1].master.port == 7001);
    CHECK(t.ranges[2].master.host == "10.1.2.3");
    CHECK(t.ranges[2].master.port == 7002);
    CHECK(t.ranges[3].master.host == "::1");
    CHECK(rbus::node_name(t.ranges[3].master) == "[::1]:7003");
    REQUIRE(t.ranges[3].replicas.size() == 1);
    CHECK(t.ranges[3].replicas[0].host == "10.1.2.3");
    CHECK(rbus::node_name(t.ranges[0].master) == "10.1.2.3:7000");
}

TEST_CASE("older replies: [host, port] without an id; a port as a string") {
    ClusterTopology t = topo_parse(topo_array({
        topo_range(0, 16383, {"*2\r\n$9\r\n127.0.0.1\r\n:6379\r\n", "*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6380\r\n"}),
    }));
    REQUIRE(t.ranges.size() == 1);
    CHECK(t.ranges[0].master_id.empty());
    CHECK(t.ranges[0].master.port == 6379);
    REQUIRE(t.ranges[0].replicas.size() == 1);
    CHECK(t.ranges[0].replicas[0].port == 6380);
}

TEST_CASE("a CLUSTER SLOTS reply of another shape is a ProtocolError") {
    const std::string node = topo_node("h", 7000, "id");
    const std::vector<std::string> bad = {
        ":1\r\n",                                              // not an array
        "$2\r\nOK\r\n",                                        // a string
        "*1\r\n:5\r\n",                                        // a range that is not an array
        topo_array({"*2\r\n:0\r\n:100\r\n"}),                  // a range without a master
        topo_array({"*3\r\n:0\r\n:100\r\n$1\r\nh\r\n"}),       // a master that is not an array
        topo_array({topo_range(0, 100, {"*1\r\n$1\r\nh\r\n"})}),      // [host] without a port
        topo_array({topo_range(0, 100, {"*2\r\n:1\r\n:7000\r\n"})}),  // a host that is a number
        topo_array({topo_range(0, 100, {"*2\r\n$1\r\nh\r\n$2\r\nxx\r\n"})}),  // a port not a number
        topo_array({topo_range(0, 100, {"*2\r\n$1\r\nh\r\n:0\r\n"})}),        // port 0
        topo_array({topo_range(0, 100, {"*2\r\n$1\r\nh\r\n:65536\r\n"})}),    // port out of range
        topo_array({"*3\r\n$1\r\nx\r\n:100\r\n" + node}),     // a slot that is not a number
        topo_array({topo_range(200, 100, {node})}),           // last before first
        topo_array({topo_range(-1, 100, {node})}),            // negative slot
        topo_array({topo_range(0, 16384, {node})}),           // past the last slot
        topo_array({topo_range(0, 100, {node, ":3\r\n"})}),   // a replica that is not a node
        topo_array({topo_range(0, 100, {node}), topo_range(100, 200, {node})}),  // slot 100 twice
        topo_array({topo_range(50, 60, {node}), topo_range(0, 100, {node})}),    // a range inside another
    };
    for (const std::string& resp : bad) {
        CAPTURE(resp);
        rbus::Reply r = topo_reply(resp);
        CHECK_THROWS_AS(rbus::parse_cluster_slots(r.get(), "seed"), rbus::ProtocolError);
    }
    CHECK_THROWS_AS(rbus::parse_cluster_slots(nullptr, "seed"), rbus::ProtocolError);
    // What the user sees (exit code of a protocol error, message naming the command).
    rbus::Reply r = topo_reply(":1\r\n");
    try {
        rbus::parse_cluster_slots(r.get(), "seed");
        FAIL("no exception");
    } catch (const rbus::Error& e) {
        CHECK(std::string(e.what()).find("CLUSTER SLOTS") != std::string::npos);
    }
}

TEST_CASE("standalone(): one node owns every slot") {
    ClusterTopology t = ClusterTopology::standalone(HostPort{"127.0.0.1", 6390});
    CHECK_FALSE(t.cluster);
    REQUIRE(t.ranges.size() == 1);
    for (int slot : {0, 1, 5460, 12182, 16383}) CHECK(topo_is(t.owner(slot), "127.0.0.1", 6390));
    REQUIRE(t.masters().size() == 1);
    CHECK(t.masters()[0].port == 6390);
    CHECK(t.replicas().empty());
    auto groups = rbus::group_by_owner(t, {"foo", "bar", "{user1000}.x"});
    REQUIRE(groups.size() == 1);
    CHECK(groups[0].channels == std::vector<std::string>{"foo", "bar", "{user1000}.x"});
}

TEST_CASE("node_name and same_node") {
    CHECK(rbus::node_name(HostPort{"10.0.0.1", 7000}) == "10.0.0.1:7000");
    CHECK(rbus::node_name(HostPort{"fe80::1", 7000}) == "[fe80::1]:7000");
    CHECK(rbus::node_name(HostPort{"", 0}) == "(local socket)");
    CHECK(rbus::same_node(HostPort{"h", 1}, HostPort{"h", 1}));
    CHECK_FALSE(rbus::same_node(HostPort{"h", 1}, HostPort{"h", 2}));
    CHECK_FALSE(rbus::same_node(HostPort{"h", 1}, HostPort{"g", 1}));
}

TEST_CASE("group_by_owner: nodes in order of their first channel, channels as given") {
    ClusterTopology t = topo_parse(topo_three_masters());
    // Slots: foo 12182 (C), bar 5061 (A), c 7365 (B), hello 866 (A), x 16287 (C), qux 9995 (B).
    auto groups = rbus::group_by_owner(t, {"foo", "bar", "c", "hello", "x", "qux"});
    REQUIRE(groups.size() == 3);
    CHECK(groups[0].node.host == "10.0.0.3");
    CHECK(groups[0].channels == std::vector<std::string>{"foo", "x"});
    CHECK(groups[1].node.host == "10.0.0.1");
    CHECK(groups[1].channels == std::vector<std::string>{"bar", "hello"});
    CHECK(groups[2].node.host == "10.0.0.2");
    CHECK(groups[2].channels == std::vector<std::string>{"c", "qux"});

    CHECK(rbus::group_by_owner(t, {}).empty());
    // A hash tag keeps channels on one node.
    auto tagged = rbus::group_by_owner(t, {"{user1000}.a", "{user1000}.b"});
    REQUIRE(tagged.size() == 1);
    CHECK(tagged[0].channels.size() == 2);

    // One master with two ranges is one group.
    ClusterTopology split = topo_manual({
        rbus::SlotRange{0, 1000, HostPort{"a", 7000}, "", {}},
        rbus::SlotRange{1001, 16000, HostPort{"b", 7001}, "", {}},
        rbus::SlotRange{16001, 16383, HostPort{"a", 7000}, "", {}},
    });
    auto g = rbus::group_by_owner(split, {"hello", "x", "c"});  // 866 (a), 16287 (a), 7365 (b)
    REQUIRE(g.size() == 2);
    CHECK(g[0].node.host == "a");
    CHECK(g[0].channels == std::vector<std::string>{"hello", "x"});
    CHECK(g[1].channels == std::vector<std::string>{"c"});
}

TEST_CASE("group_by_owner: a channel on an unserved slot is an Error naming it") {
    ClusterTopology t = topo_manual({rbus::SlotRange{0, 10922, HostPort{"a", 7000}, "", {}}});
    try {
        rbus::group_by_owner(t, {"bar", "raptorflow.events.agent.task_started"});
        FAIL("no exception");
    } catch (const rbus::Error& e) {
        std::string what = e.what();
        CHECK(what.find("raptorflow.events.agent.task_started") != std::string::npos);
        CHECK(what.find("16231") != std::string::npos);
        CHECK(e.exit_code() == 1);
    }
    CHECK_THROWS_AS(rbus::group_by_owner(ClusterTopology{}, {"foo"}), rbus::Error);
}
