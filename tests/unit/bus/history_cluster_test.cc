// History writes on a Redis Cluster, phase by phase, over a fake SlotRunner:
// the record script on the stream's slot, the msg: copy on its own slot, then
// the PUBLISH; an event refused in one phase goes no further.
#include <doctest/doctest.h>


#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "bus/dlq.h"
#include "bus/history_cluster.h"
#include "bus/history_keys.h"
#include "redis/crc16.h"
#include "redis/resp_reader.h"

using namespace rbus;

namespace {

// A reply as the server would send it, built by the RESP reader.
Reply reply_of(std::string_view resp) {
    REQUIRE(scan_frame(resp).size == resp.size());
    return build_reply(resp);
}

// Records every phase's commands; answers by `answer` (the command's name and its index in the phase).
struct FakeSlots : SlotRunner {
    std::vector<std::vector<SlotCommand>> phases;
    std::function<SlotResult(const SlotCommand&, std::size_t)> answer = [](const SlotCommand& c, std::size_t) {
        return SlotResult{reply_of(c.what == "the history script" ? ":1\r\n" : c.what == "EVAL" ? "+OK\r\n" : ":2\r\n"), {}};
    };
    std::vector<SlotResult> run(const std::vector<SlotCommand>& commands) override {
        phases.push_back(commands);
        std::vector<SlotResult> out;
        for (std::size_t i = 0; i < commands.size(); ++i) out.push_back(answer(commands[i], i));
        return out;
    }
};

bool sends(const SlotCommand& c, std::string_view part) { return c.resp.find(part) != std::string::npos; }

const SystemTime kNow{std::chrono::seconds(1'800'000'000)};

}  // namespace

TEST_CASE("cluster --history: record on the stream's slot, then the msg: copy on its slot, then PUBLISH") {
    FakeSlots slots;
    HistorySettings settings;
    ClusterHistoryWriter writer(slots, settings, ClusterWriteOptions{true, false, false});
    auto r = writer.write({ClusterWrite{"raptorflow.events.a", "id-1", R"({"id":"id-1"})"}}, kNow);
    REQUIRE(r.size() == 1);
    CHECK(r[0].done);
    CHECK(r[0].fresh);
    CHECK(r[0].receivers == 2);
    REQUIRE(slots.phases.size() == 3);
    const SlotCommand& record = slots.phases[0][0];
    CHECK(record.slot == hash_slot("rbus:history:{raptorflow.events.a}"));
    CHECK(record.slot == hash_slot("rbus:seen:{raptorflow.events.a}:id-1"));
    CHECK(sends(record, "rbus:seen:{raptorflow.events.a}:id-1"));
    CHECK_FALSE(sends(record, "msg:"));  // the msg: key lives in another slot: not in the script
    const SlotCommand& copy = slots.phases[1][0];
    CHECK(copy.slot == hash_slot("msg:raptorflow.events.a:id-1"));
    CHECK(sends(copy, "msg:raptorflow.events.a:id-1"));
    CHECK(sends(copy, "$4\r\n3600\r\n"));  // RaptorBus's TTL rule
    const SlotCommand& pub = slots.phases[2][0];
    CHECK(pub.what == "PUBLISH");
    CHECK(sends(pub, "$19\r\nraptorflow.events.a\r\n"));
}

TEST_CASE("cluster --history: a refused record is neither copied nor published; the other events go on") {
    FakeSlots slots;
    slots.answer = [](const SlotCommand& c, std::size_t i) {
        if (c.what == "the history script" && i == 0)
            return SlotResult{nullptr, "WRONGTYPE history key rbus:history:{a} holds a string, not a stream"};
        return SlotResult{reply_of(c.what == "EVAL" ? "+OK\r\n" : ":0\r\n"), {}};
    };
    HistorySettings settings;
    ClusterHistoryWriter writer(slots, settings, ClusterWriteOptions{true, false, false});
    auto r = writer.write({ClusterWrite{"a", "id-1", "{}"}, ClusterWrite{"b", "id-2", "{}"}}, kNow);
    CHECK_FALSE(r[0].done);
    CHECK(r[0].wrong_type);
    CHECK(r[0].error == "history key rbus:history:{a} holds a string, not a stream");
    CHECK(r[1].done);
    CHECK_FALSE(r[1].fresh);  // already recorded: still published
    REQUIRE(slots.phases.size() == 3);
    CHECK(slots.phases[1].size() == 1);
    CHECK(slots.phases[2].size() == 1);
    CHECK(sends(slots.phases[2][0], "$1\r\nb\r\n"));
}

TEST_CASE("cluster --history: a refused msg: copy (OOM) means not published, said as a refused history write") {
    FakeSlots slots;
    slots.answer = [](const SlotCommand& c, std::size_t) {
        if (c.what == "EVAL") return SlotResult{nullptr, "OOM command not allowed when used memory > 'maxmemory'."};
        return SlotResult{reply_of(":1\r\n"), {}};
    };
    HistorySettings settings;
    ClusterHistoryWriter writer(slots, settings, ClusterWriteOptions{true, false, false});
    auto r = writer.write({ClusterWrite{"a", "id-1", "{}"}}, kNow);
    CHECK_FALSE(r[0].done);
    CHECK_FALSE(r[0].wrong_type);
    CHECK(r[0].error.find("refused the history write (event not published): OOM") != std::string::npos);
    CHECK(slots.phases.size() == 2);  // no PUBLISH phase
}

TEST_CASE("cluster --history: an unreachable master's events are marked lost (written again), a refusal is not") {
    FakeSlots slots;
    slots.answer = [](const SlotCommand& c, std::size_t i) {
        SlotResult r{nullptr, {}};
        if (c.what == "the history script" && i == 0) {
            r.error = "127.0.0.1:7001: connection lost";
            r.lost = true;
        } else if (c.what == "the history script" && i == 1) {
            r.error = "OOM command not allowed";
        } else if (c.what == "PUBLISH") {
            r.error = "127.0.0.1:7002: connection refused";
            r.lost = true;
        } else {
            r.reply = reply_of(c.what == "EVAL" ? "+OK\r\n" : ":1\r\n");
        }
        return r;
    };
    HistorySettings settings;
    ClusterHistoryWriter writer(slots, settings, ClusterWriteOptions{true, false, false});
    auto r = writer.write({ClusterWrite{"a", "id-1", "{}"}, ClusterWrite{"b", "id-2", "{}"}, ClusterWrite{"c", "id-3", "{}"}},
                          kNow);
    CHECK_FALSE(r[0].done);
    CHECK(r[0].lost);
    CHECK_FALSE(r[1].done);
    CHECK_FALSE(r[1].lost);
    CHECK_FALSE(r[2].done);  // recorded, but its PUBLISH's master was not reached
    CHECK(r[2].lost);
    CHECK(r[2].error == "recorded, but not published: 127.0.0.1:7002: connection refused");
}

TEST_CASE("cluster --history --sharded: SPUBLISH on the channel's slot; --record-metrics counts on the key's slot") {
    FakeSlots slots;
    HistorySettings settings;
    ClusterHistoryWriter writer(slots, settings, ClusterWriteOptions{true, true, true});
    auto r = writer.write({ClusterWrite{"ch.x", "id-1", "{}"}}, kNow);
    CHECK(r[0].done);
    REQUIRE(slots.phases.size() == 4);
    CHECK(slots.phases[2][0].what == "SPUBLISH");
    CHECK(slots.phases[2][0].slot == hash_slot("ch.x"));
    CHECK(slots.phases[3][0].what == "INCR");
    CHECK(slots.phases[3][0].slot == hash_slot("metrics:channel:ch.x:published"));
}

TEST_CASE("cluster recording only (the mirror): the record script alone, fresh or already recorded") {
    FakeSlots slots;
    slots.answer = [](const SlotCommand&, std::size_t i) { return SlotResult{reply_of(i == 0 ? ":1\r\n" : ":0\r\n"), {}}; };
    HistorySettings settings{HistoryKeys("team")};
    ClusterHistoryWriter writer(slots, settings, ClusterWriteOptions{});
    auto r = writer.write({ClusterWrite{"a", "id-1", "{}"}, ClusterWrite{"a", "id-1", "{}"}}, kNow);
    CHECK(r[0].done);
    CHECK(r[0].fresh);
    CHECK(r[1].done);
    CHECK_FALSE(r[1].fresh);
    REQUIRE(slots.phases.size() == 1);
    CHECK(slots.phases[0][0].slot == hash_slot("team:history:{a}"));
}

TEST_CASE("a DLQ move on a cluster: each key on its slot's master, the XACK last; a refused step stops it") {
    DeadLetter d;
    d.envelope = R"({"id":"e-1"})";
    d.reason = kReasonMaxRetries;
    d.channel = "raptorflow.events.job";
    d.stream = "rbus:history:{raptorflow.events.job}";
    d.entry_id = "1-0";
    d.group = "g";
    d.consumer = "c";
    d.deliveries = 3;
    FakeSlots slots;
    slots.answer = [](const SlotCommand&, std::size_t) { return SlotResult{reply_of("+OK\r\n"), {}}; };
    HistoryKeys keys;
    dlq_move_on_cluster(slots, keys, d, "u-1", kNow);
    REQUIRE(slots.phases.size() == 4);  // one command at a time, in order
    CHECK(slots.phases[0][0].what == "XADD");
    CHECK(slots.phases[0][0].slot == hash_slot("rbus:dlq"));
    CHECK(slots.phases[1][0].what == "SET");
    CHECK(slots.phases[1][0].slot == hash_slot("dlq:sys.dlq.max_retries_exceeded:u-1"));
    CHECK(slots.phases[2][0].what == "PUBLISH");
    CHECK(slots.phases[3][0].what == "XACK");
    CHECK(slots.phases[3][0].slot == hash_slot(d.stream));

    FakeSlots refusing;
    refusing.answer = [](const SlotCommand& c, std::size_t) {
        if (c.what == "SET") return SlotResult{nullptr, "OOM command not allowed"};
        return SlotResult{reply_of("+OK\r\n"), {}};
    };
    CHECK_THROWS_WITH_AS(dlq_move_on_cluster(refusing, keys, d, "u-2", kNow),
                         "the cluster refused the DLQ move (SET): OOM command not allowed", ReplyError);
    CHECK(refusing.phases.size() == 2);  // no PUBLISH, no XACK: the entry stays pending
}

namespace {
// Answers the history script of the `lost_runs` first runs for channel "a" as
// an unreachable master; everything else as accepted.
void lose_a_for(FakeSlots& slots, int lost_runs) {
    slots.answer = [&slots, lost_runs](const SlotCommand& c, std::size_t) {
        SlotResult r{nullptr, {}};
        bool a = c.slot == hash_slot("rbus:history:{a}");
        if (c.what == "the history script" && a && static_cast<int>(slots.phases.size()) <= lost_runs) {
            r.error = "127.0.0.1:7001: connection lost";
            r.lost = true;
        } else {
            r.reply = reply_of(c.what == "EVAL" ? "+OK\r\n" : ":1\r\n");
        }
        return r;
    };
}
}  // namespace

TEST_CASE("ClusterResender: a lost event is written again after the backoff, the topology read again first") {
    FakeSlots slots;
    lose_a_for(slots, 1);  // the first run's record: lost
    HistorySettings settings;
    ClusterHistoryWriter writer(slots, settings, ClusterWriteOptions{true, false, false});
    int rereads = 0;
    std::vector<std::chrono::milliseconds> slept;
    ClusterResender resender(writer, [&] { ++rereads; }, BatchOptions{},
                             [&](std::chrono::milliseconds d) { slept.push_back(d); });
    auto r = resender.write({ClusterWrite{"a", "id-1", "{}"}, ClusterWrite{"b", "id-2", "{}"}});
    CHECK(r[0].done);
    CHECK(r[0].receivers == 1);
    CHECK(r[1].done);
    CHECK(rereads == 1);
    CHECK(slept == std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(200)});
    // Run 1: both records (a lost); runs 2-3: b's copy and PUBLISH; runs 4-6: a alone, all three phases.
    REQUIRE(slots.phases.size() == 6);
    CHECK(slots.phases[3].size() == 1);
    CHECK(sends(slots.phases[3][0], "id-1"));
}

TEST_CASE("ClusterResender: after --retries attempts the lost events fail, and later lost ones at once") {
    FakeSlots slots;
    lose_a_for(slots, 1000);
    HistorySettings settings;
    ClusterHistoryWriter writer(slots, settings, ClusterWriteOptions{true, false, false});
    BatchOptions options;
    options.retries = 2;
    std::vector<std::chrono::milliseconds> slept;
    ClusterResender resender(writer, [] {}, options, [&](std::chrono::milliseconds d) { slept.push_back(d); });
    auto r = resender.write({ClusterWrite{"a", "id-1", "{}"}});
    CHECK_FALSE(r[0].done);
    CHECK(r[0].lost);
    CHECK(r[0].error ==
          "bus unreachable after 2 reconnect attempt(s): history not written (event not published): "
          "127.0.0.1:7001: connection lost");
    CHECK(slept == std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(200), std::chrono::milliseconds(400)});
    r = resender.write({ClusterWrite{"a", "id-2", "{}"}});
    CHECK_FALSE(r[0].done);
    CHECK(slept.size() == 2);  // no new wait: the bus stayed unreachable

    BatchOptions none;
    none.retries = 0;
    FakeSlots once;
    lose_a_for(once, 1);
    ClusterHistoryWriter writer0(once, settings, ClusterWriteOptions{true, false, false});
    ClusterResender no_retry(writer0, [] {}, none, [](std::chrono::milliseconds) { FAIL("no wait with --retries 0"); });
    r = no_retry.write({ClusterWrite{"a", "id-3", "{}"}});
    CHECK(r[0].error == "connection lost: history not written (event not published): 127.0.0.1:7001: connection lost");
}
