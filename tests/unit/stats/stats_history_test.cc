// rbus-stats's history sections without a server: the replies a Redis 7
// server sends (RESP bytes through a Connection over a FakeTransport) read
// into a HistorySnapshot; the key scan under its budget; agents from
// heartbeats; the --check thresholds; and what the table, JSON and
// Prometheus forms make of it, untrusted names escaped.
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "redis/connection.h"
#include "base/error.h"
#include "redis/fake_transport.h"
#include "stats/stats.h"
#include "stats/stats_history.h"
#include "stats/stats_history_cluster.h"
#include "stats/stats_history_render.h"
#include "stats/stats_render.h"

using namespace rbus;

namespace {

std::string hs_bulk(std::string_view s) { return fmt::format("${}\r\n{}\r\n", s.size(), s); }
std::string hs_int(long long n) { return fmt::format(":{}\r\n", n); }
std::string hs_arr(const std::vector<std::string>& items) {
    std::string out = fmt::format("*{}\r\n", items.size());
    for (const auto& i : items) out += i;
    return out;
}
const std::string hs_nil = "$-1\r\n";
std::string hs_scan(std::string_view cursor, const std::vector<std::string>& keys) {
    std::vector<std::string> ks;
    for (const auto& k : keys) ks.push_back(hs_bulk(k));
    return hs_arr({hs_bulk(cursor), hs_arr(ks)});
}

struct HsServer {
    rbus::testing::FakeTransport* fake = nullptr;
    std::unique_ptr<Connection> conn;
    explicit HsServer(std::string replies) {
        auto t = std::make_unique<rbus::testing::FakeTransport>();
        t->chunks = {std::move(replies)};
        fake = t.get();
        conn = std::make_unique<Connection>(std::move(t));
    }
    // The commands sent, as the text of their arguments joined by spaces.
    std::string sent() const {
        std::string out;
        std::string_view s = fake->sent;
        while (!s.empty()) {
            std::size_t nl = s.find("\r\n");
            int n = std::stoi(std::string(s.substr(1, nl - 1)));
            s.remove_prefix(nl + 2);
            for (int i = 0; i < n; ++i) {
                nl = s.find("\r\n");
                std::size_t len = std::stoul(std::string(s.substr(1, nl - 1)));
                out += (i ? " " : "") + std::string(s.substr(nl + 2, len));
                s.remove_prefix(nl + 2 + len + 2);
            }
            out += "\n";
        }
        return out;
    }
};

std::string hs_beat(std::string_view agent, std::string_view timestamp) {
    return fmt::format(R"({{"id":"b-{}","type":"heartbeat","payload":{{}},"priority":"low","request_id":null,)"
                       R"("source_agent_id":"{}","timestamp":"{}","version":"1.0"}})",
                       agent, agent, timestamp);
}

SystemTime hs_at(std::string_view ts) { return *parse_timestamp(ts); }

}  // namespace

TEST_CASE("RaptorBus keys: msg:{channel}:{id} by channel, dlq:sys.dlq.{reason}:{uuid} by reason, others neither") {
    CHECK(classify_raptorbus_key("msg:sys.global.heartbeat:6f1c").channel == "sys.global.heartbeat");
    CHECK(classify_raptorbus_key("msg:a:b:c:id-1").channel == "a:b:c");  // the id is after the last ':'
    CHECK(classify_raptorbus_key("dlq:sys.dlq.routing_error:u-1").reason == "routing_error");
    for (std::string_view other : {"msg:", "msg:x", "msg:x:", "dlq:sys.dlq.:u", "metrics:channel:x:published",
                                   "rbus:history:{x}", "dlq:other:1"}) {
        RaptorbusKey k = classify_raptorbus_key(other);
        CHECK_MESSAGE((k.channel.empty() && k.reason.empty()), other);
    }
}

TEST_CASE("stream IDs give the entry's time in ms; anything else gives nothing") {
    CHECK(stream_id_ms("1701350000123-4") == 1701350000123LL);
    CHECK(stream_id_ms("17") == 17);
    CHECK_FALSE(stream_id_ms(""));
    CHECK_FALSE(stream_id_ms("x-1"));
    CHECK_FALSE(stream_id_ms("12a-0"));
}

TEST_CASE("agents: the latest beat of each source_agent_id, alive within 60s, unnamed beats counted apart") {
    HeartbeatTracker t;
    const SystemTime read = hs_at("2026-11-30T12:00:05Z");
    t.persisted(hs_beat("res-1", "2026-11-30T12:00:00.000000"), read);  // naive: UTC, as BusEvent writes it
    t.persisted(hs_beat("res-1", "2026-11-30T11:59:30.000000Z"), read);  // older: ignored
    t.persisted(hs_beat("muse-2", "2026-11-30T11:58:00Z"), read);
    t.heard(hs_beat("res-1", "2020-01-01T00:00:00Z"), hs_at("2026-11-30T12:00:20Z"));  // live: dated by receipt
    t.persisted(R"({"type":"heartbeat","payload":{}})", read);  // no agent
    t.persisted("not json", read);
    auto agents = t.agents(hs_at("2026-11-30T12:00:30Z"));
    REQUIRE(agents.size() == 2);
    CHECK(agents[0].agent == "res-1");
    CHECK(agents[0].live);
    CHECK(agents[0].age_seconds == doctest::Approx(10));
    CHECK(agents[0].alive);
    CHECK(agents[1].agent == "muse-2");
    CHECK_FALSE(agents[1].live);
    CHECK(agents[1].age_seconds == doctest::Approx(150));
    CHECK_FALSE(agents[1].alive);
    CHECK(t.unnamed() == 2);
    // A beat stamped ahead of our clock is fresh, not negative.
    CHECK(t.agents(hs_at("2026-11-30T11:00:00Z"))[0].age_seconds == 0);
}

TEST_CASE("agents: a persisted beat dated ahead of our clock counts from when it was read, not for ever") {
    HeartbeatTracker t;
    t.persisted(hs_beat("fast-1", "2099-01-01T00:00:00Z"), hs_at("2026-11-30T12:00:00Z"));
    auto agents = t.agents(hs_at("2026-11-30T12:00:30Z"));
    REQUIRE(agents.size() == 1);
    CHECK(agents[0].age_seconds == doctest::Approx(30));
    CHECK(agents[0].alive);
    // rbus-stats --watch reads the persisted beats once: silent a minute later (it stayed alive).
    CHECK_FALSE(t.agents(hs_at("2026-11-30T12:01:30Z"))[0].alive);
    // A later live beat is newer than it.
    t.heard(hs_beat("fast-1", "2099-01-01T00:00:00Z"), hs_at("2026-11-30T12:02:00Z"));
    CHECK(t.agents(hs_at("2026-11-30T12:02:10Z"))[0].live);
    CHECK(t.agents(hs_at("2026-11-30T12:02:10Z"))[0].age_seconds == doctest::Approx(10));
}

TEST_CASE("the RaptorBus key scan stops at --scan-limit and says its counts are lower bounds") {
    HsServer s(hs_scan("17", {"msg:raptorflow.events.a:1", "dlq:sys.dlq.publish_error:u", "other"}) +
               hs_scan("33", {"msg:raptorflow.events.a:2", "msg:raptorflow.events.a:1"}));  // a key twice: once
    HeartbeatTracker beats;
    RaptorbusKeys k = scan_raptorbus_keys(*s.conn, 1500, std::chrono::milliseconds(1000), beats);
    CHECK(s.sent() == "SCAN 0 COUNT 1000 TYPE string\nSCAN 17 COUNT 500 TYPE string\n");
    CHECK_FALSE(k.complete);
    CHECK(k.examined == 1500);
    CHECK(k.persisted.at("raptorflow.events.a") == 2);
    CHECK(k.dlq.at("publish_error") == 1);
    CHECK(k.persisted_total() == 2);
    CHECK(k.dlq_total() == 1);
}

TEST_CASE("the RaptorBus key scan to its end reads the persisted heartbeats for the agents") {
    HsServer s(hs_scan("0", {"msg:sys.global.heartbeat:b1", "msg:sys.global.heartbeat:b2"}) +
               hs_bulk(hs_beat("res-1", "2026-11-30T12:00:00Z")) + hs_nil);  // b2 expired meanwhile
    HeartbeatTracker beats;
    RaptorbusKeys k = scan_raptorbus_keys(*s.conn, 10000, std::chrono::milliseconds(1000), beats);
    CHECK(k.complete);
    CHECK(k.persisted.at("sys.global.heartbeat") == 2);
    CHECK(s.sent() == "SCAN 0 COUNT 1000 TYPE string\nGET msg:sys.global.heartbeat:b1\nGET msg:sys.global.heartbeat:b2\n");
    auto agents = beats.agents(hs_at("2026-11-30T12:00:05Z"));
    REQUIRE(agents.size() == 1);
    CHECK(agents[0].agent == "res-1");
}

namespace {

// Redis 7.0's replies for one stream with a group whose lag it can tell and
// one whose lag it cannot (created at an ID), then rbus's DLQ.
std::string hs_history_replies() {
    std::string key = "rbus:history:{raptorflow.events.job.run}";
    std::string entry_old = hs_arr({hs_bulk("1764500000000-0"), hs_arr({hs_bulk("envelope"), hs_bulk("{}")})});
    std::string entry_new = hs_arr({hs_bulk("1764500060000-0"), hs_arr({hs_bulk("envelope"), hs_bulk("{}")})});
    std::string xinfo_stream = hs_arr({hs_bulk("length"), hs_int(3), hs_bulk("radix-tree-keys"), hs_int(1),
                                       hs_bulk("last-generated-id"), hs_bulk("1764500060000-0"), hs_bulk("groups"),
                                       hs_int(2), hs_bulk("first-entry"), entry_old, hs_bulk("last-entry"), entry_new});
    std::string group_a = hs_arr({hs_bulk("name"), hs_bulk("workers"), hs_bulk("consumers"), hs_int(1),
                                  hs_bulk("pending"), hs_int(1), hs_bulk("last-delivered-id"),
                                  hs_bulk("1764500060000-0"), hs_bulk("entries-read"), hs_int(3), hs_bulk("lag"),
                                  hs_int(0)});
    std::string group_b = hs_arr({hs_bulk("name"), hs_bulk("late"), hs_bulk("consumers"), hs_int(0),
                                  hs_bulk("pending"), hs_int(0), hs_bulk("last-delivered-id"),
                                  hs_bulk("1764500000000-0"), hs_bulk("entries-read"), hs_nil, hs_bulk("lag"), hs_nil});
    std::string consumers_a = hs_arr({hs_arr({hs_bulk("name"), hs_bulk("c1"), hs_bulk("pending"), hs_int(1),
                                              hs_bulk("idle"), hs_int(4200)})});
    std::string pending_a = hs_arr({hs_arr({hs_bulk("1764500060000-0"), hs_bulk("c1"), hs_int(4100), hs_int(2)})});
    return hs_arr({hs_bulk("1764500070"), hs_bulk("500000")})  // TIME
           + hs_scan("0", {key})                               // the streams
           + hs_scan("0", {"dlq:sys.dlq.max_retries_exceeded:u1"})  // RaptorBus's keys
           + xinfo_stream + hs_int(2048)                             // XINFO STREAM, MEMORY USAGE
           + hs_arr({group_a, group_b})                              // XINFO GROUPS
           + consumers_a + pending_a                                 // workers
           + hs_arr({}) + hs_arr({}) + hs_arr({entry_new, entry_new})  // late: no consumers, none pending, counted lag
           + hs_int(4);                                             // XLEN rbus:dlq
}

HistorySnapshot hs_read(Context& ctx) {
    HsServer s(hs_history_replies());
    HeartbeatTracker beats;
    HistoryStatsReader reader(ctx, 10000, beats);
    HistorySnapshot h = reader.read(*s.conn, false);
    CHECK(s.sent() ==
          "TIME\n"
          "SCAN 0 MATCH rbus:history:{*} COUNT 1000 TYPE stream\n"
          "SCAN 0 COUNT 1000 TYPE string\n"
          "XINFO STREAM rbus:history:{raptorflow.events.job.run}\n"
          "MEMORY USAGE rbus:history:{raptorflow.events.job.run}\n"
          "XINFO GROUPS rbus:history:{raptorflow.events.job.run}\n"
          "XINFO CONSUMERS rbus:history:{raptorflow.events.job.run} workers\n"
          "XPENDING rbus:history:{raptorflow.events.job.run} workers - + 1\n"
          "XINFO CONSUMERS rbus:history:{raptorflow.events.job.run} late\n"
          "XPENDING rbus:history:{raptorflow.events.job.run} late - + 1\n"
          "XRANGE rbus:history:{raptorflow.events.job.run} (1764500000000-0 + COUNT 1000\n"
          "XLEN rbus:dlq\n");
    return h;
}

}  // namespace

TEST_CASE("history snapshot: streams, groups with consumers, lag (told or counted), both DLQs") {
    Context ctx;
    HistorySnapshot h = hs_read(ctx);
    CHECK(h.server_time_ms == 1764500070500LL);
    REQUIRE(h.streams.size() == 1);
    const HistoryStream& s = h.streams[0];
    CHECK(s.channel == "raptorflow.events.job.run");
    CHECK(s.length == 3);
    CHECK(s.oldest_ms == 1764500000000LL);
    CHECK(s.newest_ms == 1764500060000LL);
    CHECK(s.memory_bytes == 2048);
    REQUIRE(s.groups.size() == 2);
    CHECK(s.groups[0].name == "workers");
    CHECK(s.groups[0].pending == 1);
    CHECK(s.groups[0].lag == 0);
    CHECK(s.groups[0].oldest_pending_idle_ms == 4100);
    REQUIRE(s.groups[0].consumers.size() == 1);
    CHECK(s.groups[0].consumers[0].name == "c1");
    CHECK(s.groups[0].consumers[0].idle_ms == 4200);
    CHECK(s.groups[1].lag == 2);
    CHECK(s.groups[1].lag_exact);
    CHECK_FALSE(s.groups[1].oldest_pending_idle_ms);
    CHECK(h.dlq_length == 4);
    CHECK(h.raptorbus.dlq.at("max_retries_exceeded") == 1);
    CHECK(h.pending_total() == 1);

    HistoryThresholds t;
    CHECK(history_check_failures(h, t).empty());
    t.max_pending = 0;
    t.max_dlq = 3;
    t.max_lag = 1;
    t.min_agents = 1;
    auto f = history_check_failures(h, t);
    REQUIRE(f.size() == 4);
    CHECK(f[0] == "group workers on raptorflow.events.job.run has 1 pending > 0");
    CHECK(f[1] == "group late on raptorflow.events.job.run lags 2 > 1");
    CHECK(f[2] == "DLQ rbus:dlq holds 4 > 3");
    CHECK(f[3] == "0 agent(s) alive < 1");
    t = HistoryThresholds{};
    t.max_dlq = 0;
    f = history_check_failures(h, t);
    REQUIRE(f.size() == 2);
    CHECK(f[1] == "RaptorBus DLQ holds 1 record(s) > 0");

    // Counts that are lower bounds within the thresholds are no pass: the
    // lag past the counting bound, DLQ records past --scan-limit.
    h.streams[0].groups[1].lag = 1000;
    h.streams[0].groups[1].lag_exact = false;
    h.raptorbus.dlq.clear();
    h.raptorbus.complete = false;
    h.raptorbus.limit = 10000;
    h.dlq_length = 0;
    t = HistoryThresholds{};
    t.max_lag = 1500;
    t.max_dlq = 0;
    f = history_check_failures(h, t);
    REQUIRE(f.size() == 2);
    CHECK(f[0] == "group late on raptorflow.events.job.run: lag unknown (at least 1000), not checked against 1500");
    CHECK(f[1] == "RaptorBus DLQ records not all counted (at least 0; the SCAN stopped at --scan-limit 10000 keys: "
                  "raise it to check --max-dlq)");
    h.raptorbus.complete = true;
    h.streams[0].groups[1].lag_exact = true;
    CHECK(history_check_failures(h, t).empty());
}

TEST_CASE("cluster: each master's snapshot merged; ages by the first node's clock, counts summed") {
    HistorySnapshot a, b;
    a.server_time_ms = 100000;
    b.server_time_ms = 100500;  // a clock half a second ahead
    HistoryStream sa, sb;
    sa.key = "rbus:history:{z}";
    sa.oldest_ms = 90000;
    sb.key = "rbus:history:{a}";
    sb.oldest_ms = 90500;
    sb.newest_ms = 100500;
    a.streams = {sa};
    b.streams = {sb};
    b.dlq_length = 2;
    a.raptorbus.persisted = {{"x", 1}, {"y", 2}};
    b.raptorbus.persisted = {{"x", 3}};
    b.raptorbus.dlq = {{"routing_error", 1}};
    a.raptorbus.examined = 10;
    b.raptorbus.examined = 7;
    a.raptorbus.complete = true;
    b.raptorbus.complete = false;
    a.raptorbus.limit = b.raptorbus.limit = 10;
    HistorySnapshot h = merge_history({a, b});
    REQUIRE(h.streams.size() == 2);
    CHECK(h.streams[0].key == "rbus:history:{a}");
    CHECK(h.streams[0].oldest_ms == 90000);  // 10s old on its node: 10s old in the merge
    CHECK(h.streams[0].newest_ms == 100000);
    CHECK(h.streams[1].oldest_ms == 90000);
    CHECK(h.dlq_length == 2);
    CHECK(h.raptorbus.persisted == std::map<std::string, long long>{{"x", 4}, {"y", 2}});
    CHECK(h.raptorbus.dlq_total() == 1);
    CHECK(h.raptorbus.examined == 17);
    CHECK(h.raptorbus.limit == 10);
    CHECK_FALSE(h.raptorbus.complete);
    CHECK(merge_history({a}).raptorbus.complete);
}

TEST_CASE("cluster node: rbus's DLQ is left to the node that serves its slot") {
    Context ctx;
    HsServer s(hs_arr({hs_bulk("1764500070"), hs_bulk("0")}) + hs_scan("0", {}) + hs_scan("0", {}));
    HeartbeatTracker beats;
    HistorySnapshot h = HistoryStatsReader(ctx, 10000, beats).read_node(*s.conn, false);
    CHECK(s.sent() == "TIME\nSCAN 0 MATCH rbus:history:{*} COUNT 1000 TYPE stream\nSCAN 0 COUNT 1000 TYPE string\n");
    CHECK(h.dlq_length == 0);
    CHECK(h.not_read.empty());
}

TEST_CASE("a section not read says why in every form") {
    Context ctx;
    HistorySnapshot h = unread_history(ctx, "history, consumer groups, DLQ and agents not read: node 127.0.0.1:7001: down");
    CHECK(history_json(h) == Json{{"error", h.not_read}});
    CHECK(render_history_table(h, false) == "HISTORY\n  history, consumer groups, DLQ and agents not read: node 127.0.0.1:7001: down\n");
    CHECK(render_history_prometheus(h).empty());
}

TEST_CASE("history snapshot: a DLQ key that is not a stream is a usage error naming it") {
    Context ctx;
    HsServer s(hs_arr({hs_bulk("1764500070"), hs_bulk("0")}) + hs_scan("0", {}) + hs_scan("0", {}) +
               "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    HeartbeatTracker beats;
    HistoryStatsReader reader(ctx, 10000, beats);
    CHECK_THROWS_WITH_AS(reader.read(*s.conn, false), "DLQ key rbus:dlq is not a stream", UsageError);
}

TEST_CASE("history snapshot: a TIME reply that is not two numbers is a protocol error, not a crash") {
    Context ctx;
    HsServer s(hs_arr({hs_bulk("soon"), hs_bulk("0")}));
    HeartbeatTracker beats;
    HistoryStatsReader reader(ctx, 10000, beats);
    CHECK_THROWS_AS(reader.read(*s.conn, false), ProtocolError);
}

TEST_CASE("history snapshot: a command the server refuses leaves the section unread, said, and fails a history check") {
    Context ctx;
    HsServer s(hs_arr({hs_bulk("1764500070"), hs_bulk("0")}) + "-ERR unknown command 'SCAN', with args beginning with: \r\n");
    HeartbeatTracker beats;
    HistorySnapshot h = HistoryStatsReader(ctx, 10000, beats).read(*s.conn, false);
    CHECK(h.not_read ==
          "history, consumer groups, DLQ and agents not read: the server refused: ERR unknown command 'SCAN', with args "
          "beginning with: ");
    CHECK(history_check_failures(h, HistoryThresholds{}).empty());
    HistoryThresholds t;
    t.max_dlq = 0;
    CHECK(history_check_failures(h, t) == std::vector<std::string>{h.not_read});
}

TEST_CASE("--watch: the key scans are not repeated before rescan_every") {
    Context ctx;
    std::string once = hs_arr({hs_bulk("1764500070"), hs_bulk("0")}) + hs_scan("0", {}) + hs_scan("0", {}) + hs_int(0);
    std::string again = hs_arr({hs_bulk("1764500071"), hs_bulk("0")}) + hs_int(0);
    HsServer s(once + again);
    HeartbeatTracker beats;
    HistoryStatsReader reader(ctx, 10000, beats, std::chrono::seconds(3600));
    reader.read(*s.conn, false);
    reader.read(*s.conn, false);
    CHECK(s.sent() == "TIME\nSCAN 0 MATCH rbus:history:{*} COUNT 1000 TYPE stream\nSCAN 0 COUNT 1000 TYPE string\n"
                      "XLEN rbus:dlq\nTIME\nXLEN rbus:dlq\n");
}

TEST_CASE("history JSON, table and Prometheus: the numbers, names escaped") {
    Context ctx;
    HistorySnapshot h = hs_read(ctx);
    h.streams[0].groups[0].consumers[0].name = "c\x1b[31m";  // a consumer name with an escape sequence
    h.raptorbus.persisted["raptorflow.events.a\"b"] = 5;
    h.raptorbus.complete = false;
    h.agents = {AgentBeat{"res-1", hs_at("2026-11-30T12:00:00Z"), true, 12.5, true}};
    h.agents_alive = 1;

    Json j = history_json(h);
    CHECK(j["streams"][0]["channel"] == "raptorflow.events.job.run");
    CHECK(j["streams"][0]["oldest_age_seconds"] == doctest::Approx(70.5));
    CHECK(j["streams"][0]["groups"][0]["pending"] == 1);
    CHECK(j["streams"][0]["groups"][1]["lag"] == 2);
    CHECK(j["dlq"]["rbus"]["length"] == 4);
    CHECK(j["dlq"]["raptorbus"]["by_reason"]["max_retries_exceeded"] == 1);
    CHECK(j["persisted"]["complete"] == false);
    CHECK(j["agents"][0]["agent"] == "res-1");
    CHECK(j["agents_alive"] == 1);

    std::string table = render_history_table(h, false);
    CHECK(table.find('\x1b') == std::string::npos);
    CHECK(table.find("c\\u001b[31m") != std::string::npos);
    CHECK(table.find("1m10s") != std::string::npos);   // the oldest entry's age
    CHECK(table.find(">=5") != std::string::npos);     // an incomplete scan: at least
    CHECK(table.find("lower bounds") != std::string::npos);

    std::string prom = render_history_prometheus(h);
    CHECK(prom.find("rbus_group_pending{channel=\"raptorflow.events.job.run\",group=\"workers\"} 1\n") != std::string::npos);
    CHECK(prom.find("rbus_raptorbus_persisted_messages{channel=\"raptorflow.events.a\\\"b\"} 5\n") != std::string::npos);
    CHECK(prom.find("rbus_raptorbus_scan_complete 0\n") != std::string::npos);
    CHECK(prom.find("rbus_agents_alive 1\n") != std::string::npos);
    CHECK(prom.find('\x1b') == std::string::npos);
    // Each family's samples follow its # TYPE line, none after another family's.
    std::string family;
    std::set<std::string> done;
    std::size_t at = 0;
    while (at < prom.size()) {
        std::size_t nl = prom.find('\n', at);
        std::string line = prom.substr(at, nl - at);
        at = nl + 1;
        if (line.rfind("# TYPE ", 0) == 0) {
            if (!family.empty()) done.insert(family);
            family = line.substr(7, line.find(' ', 7) - 7);
            CHECK_MESSAGE(done.count(family) == 0, family);
        } else if (line[0] != '#') {
            CHECK_MESSAGE(line.rfind(family, 0) == 0, line);
        }
    }
}

TEST_CASE("ages as people read them") {
    CHECK(format_age(850) == "850ms");
    CHECK(format_age(12000) == "12s");
    CHECK(format_age(185000) == "3m05s");
    CHECK(format_age(7380000) == "2h03m");
    CHECK(format_age(273600000) == "3d04h");
    CHECK(format_age(-5) == "0ms");
}

TEST_CASE("stats report: history in the JSON object, the table and the --check OK line") {
    Context ctx;
    StatsReport r;
    r.url = "redis://127.0.0.1:6379/0";
    r.prefix = "raptorflow.events";
    r.server.version = "7.0.15";
    r.server.ping_rtt_ms = {0.1};
    CHECK(report_json(r)["history"].is_null());
    r.history = hs_read(ctx);
    CHECK(report_json(r)["history"]["streams"][0]["length"] == 3);
    CHECK(render_table(r, false).find("GROUPS  (1 pending)") != std::string::npos);
    CHECK(render_prometheus(r).find("rbus_dlq_entries{key=\"rbus:dlq\"} 4\n") != std::string::npos);
    CHECK(check_ok_line(r).find(", 1 history stream(s), 2 group(s) with 1 pending, DLQ 4 + 1 RaptorBus record(s), "
                                "0 agent(s) alive") != std::string::npos);
}
