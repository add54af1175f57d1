// The exposition writer, then rbus-stats --prometheus whole for one fixed
// report (server, cluster nodes, a traffic window, history): the text must not
// change by a byte when its writer does.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "base/timestamp.h"
#include "stats/prometheus_exposition.h"
#include "stats/stats_fixtures.h"
#include "stats/stats_render.h"
#include "unit_test_dir.h"

using namespace rbus;
using namespace rbus::fixtures;

namespace {

HistorySnapshot golden_history() {
    HistorySnapshot h;
    h.ns = "rbus";
    h.server_time_ms = 1'800'000'070'500;
    HistoryStream s;
    s.key = "rbus:history:raptorflow.events.job.run";
    s.channel = "raptorflow.events.job.run";
    s.length = 3;
    s.oldest_ms = 1'800'000'000'000;
    s.newest_ms = 1'800'000'070'000;
    s.memory_bytes = 2048;
    HistoryGroup workers{"workers", 1, 0, true, 1500, "1800000070000-0", {{"w\"1", 1, 250}, {"c\x1b[31m", 0, 90000}}};
    HistoryGroup audit{"audit", 0, 2, false, std::nullopt, "0-0", {}};
    s.groups = {workers, audit};
    HistoryStream quiet;
    quiet.key = "rbus:history:raptorflow.events.quiet";
    quiet.channel = "raptorflow.events.quiet";
    h.streams = {s, quiet};
    h.dlq_key = "rbus:dlq";
    h.dlq_length = 4;
    h.raptorbus.persisted = {{"raptorflow.events.a\\b", 5}, {"raptorflow.events.job.run", 12}};
    h.raptorbus.dlq = {{"max_retries_exceeded", 1}, {"line\nbreak", 2}};
    h.raptorbus.complete = false;
    h.agents = {AgentBeat{"res-1", *parse_timestamp("2026-11-30T12:00:00Z"), true, 12.5, true},
                AgentBeat{"res-2", *parse_timestamp("2026-11-30T11:58:00Z"), false, 132.25, false}};
    h.agents_alive = 1;
    return h;
}

// The cluster of three nodes with the traffic window and a history snapshot.
StatsReport golden_report() {
    StatsReport r = cluster_report();
    r.server.uptime_seconds = 42;
    r.server.connected_clients = 3;
    r.server.published_counters = {{"raptorflow.events.a", 1532}};
    r.traffic = sample_report(true).traffic;
    r.history = golden_history();
    return r;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in, path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("exposition: a family is its HELP and TYPE lines, then its samples") {
    PrometheusExposition e;
    e.family("rbus_x", "counter", "What x counts.");
    e.sample("rbus_x", {}, 3);
    e.sample("rbus_x", {{"channel", "a\"b"}, {"node", "n\\1\n"}}, 0.25);
    CHECK(e.take() == "# HELP rbus_x What x counts.\n# TYPE rbus_x counter\nrbus_x 3\n"
                      "rbus_x{channel=\"a\\\"b\",node=\"n\\\\1\\n\"} 0.25\n");
}

TEST_CASE("exposition: a gauge is one unlabelled sample; a summary has its quantiles, _sum and _count") {
    PrometheusExposition e;
    e.gauge("rbus_g", "A gauge.", 1e-05);
    CHECK(e.take() == "# HELP rbus_g A gauge.\n# TYPE rbus_g gauge\nrbus_g 1e-05\n");
    e.summary("rbus_s", "A summary.", 0.5, 1.5, 12, 7);
    CHECK(e.take() == "# HELP rbus_s A summary.\n# TYPE rbus_s summary\n"
                      "rbus_s{quantile=\"0.5\"} 0.5\nrbus_s{quantile=\"0.99\"} 1.5\nrbus_s_sum 12\nrbus_s_count 7\n");
}

TEST_CASE("exposition: label values with controls or bytes that are not UTF-8 stay one harmless line") {
    CHECK(prometheus_label_value("caf\xc3\xa9") == "caf\xc3\xa9");
    CHECK(prometheus_label_value("a\rb") == "a\\\\u000db");
    CHECK(prometheus_label_value("\xff") == "\\\\xff");
}

TEST_CASE("prometheus: the whole exposition of a fixed report, byte for byte") {
    // golden/stats.prom: a change to any family, value or escape shows here as a diff.
    std::string text = render_prometheus(golden_report());
    if (const char* out = std::getenv("RBUS_WRITE_GOLDEN")) std::ofstream(out, std::ios::binary) << text;
    CHECK(text == read_file(RBUS_UNIT_TEST_DIR "/stats/golden/stats.prom"));
}
