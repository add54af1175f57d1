#include <doctest/doctest.h>

#include "stats/stats.h"
#include "stats/stats_nodes.h"
#include "stats/stats_fixtures.h"
#include "stats/stats_render.h"

using namespace rbus;
using namespace rbus::fixtures;

TEST_CASE("cluster stats: subscribers summed over the nodes they are connected to") {
    StatsReport r = cluster_report();
    REQUIRE(r.server.channels.size() == 2);
    CHECK(r.server.channels[0].channel == "raptorflow.events.a");
    CHECK(r.server.channels[0].subscribers == 3);
    CHECK(r.server.channels[1].subscribers == 3);
    CHECK(r.server.pattern_subscriptions == 1);
    CHECK(sum_channels({}).empty());
}

TEST_CASE("cluster stats JSON: cluster_state and one object per node, errors kept") {
    Json j = report_json(cluster_report());
    CHECK(j["cluster_state"] == "ok");
    REQUIRE(j["nodes"].size() == 3);
    CHECK(j["nodes"][0]["node"] == "127.0.0.1:7000");
    CHECK(j["nodes"][0]["role"] == "master");
    CHECK(j["nodes"][0]["slots"] == 5461);
    CHECK(j["nodes"][0]["error"].is_null());
    CHECK(j["nodes"][0]["ping_rtt_ms"]["samples"] == 2);
    CHECK(j["nodes"][1]["channels"][1]["subscribers"] == 3);
    CHECK(j["nodes"][2]["role"] == "replica");
    CHECK(j["nodes"][2]["error"] == "cannot connect to 127.0.0.1:7002: Connection refused");

    StatsReport standalone;
    Json s = report_json(standalone);
    CHECK(s["cluster_state"].is_null());
    CHECK(s["nodes"].empty());
}

TEST_CASE("cluster stats table: a NODES block, an unreadable node shows why") {
    std::string table = render_table(cluster_report(), false);
    CHECK(table.find("NODES  cluster_state ok  (3 node(s))") != std::string::npos);
    CHECK(table.find("127.0.0.1:7001  master    5461  7.0.15") != std::string::npos);
    CHECK(table.find("127.0.0.1:7002  replica      0  cannot connect") != std::string::npos);
    CHECK(render_table(StatsReport{}, false).find("NODES") == std::string::npos);
}

TEST_CASE("cluster stats Prometheus: node families with HELP and TYPE") {
    std::string text = render_prometheus(cluster_report());
    CHECK(text.find("# TYPE rbus_cluster_state_ok gauge\nrbus_cluster_state_ok 1\n") != std::string::npos);
    CHECK(text.find("rbus_cluster_node_up{node=\"127.0.0.1:7002\",role=\"replica\"} 0\n") != std::string::npos);
    CHECK(text.find("rbus_cluster_node_subscriptions{node=\"127.0.0.1:7000\"} 3\n") != std::string::npos);
    CHECK(text.find("rbus_cluster_node_connected_clients{node=\"127.0.0.1:7002\"}") == std::string::npos);
}

TEST_CASE("cluster --check: a bad cluster_state and an unreadable node are failures") {
    StatsReport r = cluster_report();
    Context ctx;
    std::vector<std::string> f = check_failures(r, ctx, {});
    REQUIRE(f.size() == 1);
    CHECK(f[0] == "node 127.0.0.1:7002 unreadable: cannot connect to 127.0.0.1:7002: Connection refused");
    r.server.cluster_state = "fail";
    r.server.nodes[2].error.clear();
    f = check_failures(r, ctx, {});
    REQUIRE(f.size() == 1);
    CHECK(f[0] == "cluster_state fail");
    CHECK(check_ok_line(cluster_report()).find(", cluster_state ok, 3 node(s)") != std::string::npos);
}
