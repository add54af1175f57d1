#include <doctest/doctest.h>

#include <fmt/format.h>

#include "base/error.h"
#include "redis/fake_transport.h"
#include "bus/history_keys.h"
#include "bus/history_record.h"
#include "bus/publisher.h"
#include "redis/crc16.h"

using namespace rbus;
using rbus::testing::FakeTransport;

TEST_CASE("history keys: the channel in braces is the hash tag; the namespace is overridable") {
    HistoryKeys k;
    CHECK(k.stream("raptorflow.events.agent.x") == "rbus:history:{raptorflow.events.agent.x}");
    CHECK(k.seen("sys.alert.critical", "id-1") == "rbus:seen:{sys.alert.critical}:id-1");
    CHECK(k.dlq() == "rbus:dlq");
    CHECK(HistoryKeys("team").stream("a.b") == "team:history:{a.b}");
    CHECK(k.channel_of_stream("rbus:history:{a.b.c}") == "a.b.c");
    CHECK(k.channel_of_stream("rbus:seen:{a.b.c}:x") == "");
    CHECK(k.stream_pattern("raptorflow.events.agent.*") == "rbus:history:{raptorflow.events.agent.*}");
    CHECK(HistoryKeys("a*b").stream_pattern("x.*") == "a\\*b:history:{x.*}");
}

TEST_CASE("the redrive mark shares its stream's slot (a Cluster script needs one slot)") {
    HistoryKeys k;
    CHECK(k.redriven("rbus:history:{raptorflow.events.a}", "1764547200000-0") ==
          "rbus:redriven:{raptorflow.events.a}:1764547200000-0");
    for (std::string stream : {"rbus:history:{raptorflow.events.a}", "team:history:{x}", "plain-stream", "a{b"})
        CHECK(hash_slot(HistoryKeys("team").redriven(stream, "1-0")) == hash_slot(stream));
}

TEST_CASE("RaptorBus keys: msg:{channel}:{id} without braces, dlq:sys.dlq.{reason}:{uuid}") {
    CHECK(raptorbus_msg_key("sys.state.update", "u1") == "msg:sys.state.update:u1");
    CHECK(raptorbus_msg_pattern("raptorflow.events.agent.*") == "msg:raptorflow.events.agent.*:*");
    CHECK(glob_escape("a.b*[c]?\\") == "a.b\\*\\[c\\]\\?\\\\");
    // What every match begins with: escapes undone, up to the first wildcard.
    CHECK(glob_literal_prefix("msg:a.b:*") == "msg:a.b:");
    CHECK(glob_literal_prefix(glob_escape("x*y[1]") + "?z") == "x*y[1]");
    CHECK(glob_literal_prefix("ab[cd]*") == "ab");
    CHECK(glob_literal_prefix("trailing\\") == "trailing");
    CHECK(glob_literal_prefix("*") == "");
    CHECK(raptorbus_dlq_channel("max_retries_exceeded") == "sys.dlq.max_retries_exceeded");
    CHECK(raptorbus_dlq_key("publish_error", "u2") == "dlq:sys.dlq.publish_error:u2");
}

TEST_CASE("RaptorBus's TTL rule by channel, as publish_event() applies it") {
    using std::chrono::seconds;
    CHECK(raptorbus_msg_ttl("sys.global.heartbeat") == seconds(60));
    CHECK(raptorbus_msg_ttl("sys.guild.muse.broadcast") == seconds(86400));
    CHECK(raptorbus_msg_ttl("sys.guild.matrix.broadcast") == seconds(604800));
    CHECK(raptorbus_msg_ttl("sys.guild.research.broadcast") == seconds(3600));
    CHECK(raptorbus_msg_ttl("sys.alert.critical") == seconds(86400));
    CHECK(raptorbus_msg_ttl("raptorflow.events.agent.alerted") == seconds(86400));  // "alert" anywhere
    CHECK(raptorbus_msg_ttl("sys.state.update") == seconds(3600));
    CHECK(raptorbus_msg_ttl("raptorflow.events.agent.task_started") == seconds(3600));
}

TEST_CASE("the record command: binary-safe EVALSHA with the stream, the seen mark and the msg copy") {
    HistorySettings s;
    s.retain = std::chrono::minutes(1);
    s.max_len = 500;
    std::string out;
    SystemTime now{std::chrono::milliseconds(1'800'000'000'000)};
    std::string body = "{\"id\":\"x\r\n\"}";
    append_record(out, s, RecordRequest{"a.b", "id-1", body, "a.b", true}, true, now);
    std::string sha = record_script_sha();
    CHECK(sha.size() == 40);
    std::string expected = fmt::format(
        "*12\r\n$7\r\nEVALSHA\r\n$40\r\n{}\r\n$1\r\n3\r\n$18\r\nrbus:history:{{a.b}}\r\n$20\r\nrbus:seen:{{a.b}}:id-1\r\n"
        "$12\r\nmsg:a.b:id-1\r\n${}\r\n{}\r\n$5\r\n60000\r\n$3\r\n500\r\n$13\r\n1799999940000\r\n$3\r\na.b\r\n"
        "$4\r\n3600\r\n",
        sha, body.size(), body);
    CHECK(out == expected);

    out.clear();  // the mirror: record only, no copy, no publish; seen marks kept a week without --retain
    append_record(out, HistorySettings{}, RecordRequest{"a.b", "id-1", "{}", {}, false}, true, now);
    CHECK(out.find("*11\r\n") == 0);
    CHECK(out.find("$1\r\n2\r\n") != std::string::npos);
    CHECK(out.find("$9\r\n604800000\r\n") != std::string::npos);
    CHECK(out.find("$0\r\n\r\n") != std::string::npos);  // no publish channel
}

TEST_CASE("envelope_id: the id of a canonical envelope, of another shape, or v5 of an id-less message") {
    CHECK(envelope_id(R"({"id":"6f1c0000-0000-4000-8000-000000000001","type":"a.b","payload":{},"priority":"normal","request_id":null,"source_agent_id":null,"workspace_id":null,"timestamp":"2026-11-26T16:10:30.237319Z"})") ==
          "6f1c0000-0000-4000-8000-000000000001");
    CHECK(envelope_id(R"({"type": "a.b", "id": "given"})") == "given");
    std::string legacy = R"({"event_type":"a.b","payload":{}})";
    CHECK(envelope_id(legacy) == envelope_id(legacy));
    CHECK(envelope_id(legacy).size() == 36);
}

TEST_CASE("publish --history: one script records and publishes; a wrong-type key is exit 2 naming it") {
    HistorySettings hs;
    PublishOptions po;
    po.history = &hs;
    EnvelopeFields f;
    f.type = "agent.task_started";
    Envelope env = Envelope::create(std::move(f));
    Context ctx;
    {
        auto t = std::make_unique<FakeTransport>();
        FakeTransport* fake = t.get();
        fake->chunks = {":3\r\n"};
        Connection conn(std::move(t));
        CHECK(Publisher(conn, ctx, po).publish(env) == 3);
        CHECK(fake->sent.find("$4\r\nEVAL\r\n") != std::string::npos);
        CHECK(fake->sent.find("$7\r\nPUBLISH\r\n") == std::string::npos);  // inside the script, not beside it
        CHECK(fake->sent.find(fmt::format("msg:raptorflow.events.agent.task_started:{}", env.id())) !=
              std::string::npos);
    }
    {
        auto t = std::make_unique<FakeTransport>();
        t->chunks = {"-WRONGTYPE history key rbus:history:{raptorflow.events.agent.task_started} holds a string, "
                     "not a stream\r\n"};
        Connection conn(std::move(t));
        try {
            Publisher(conn, ctx, po).publish(env);
            FAIL("no error");
        } catch (const UsageError& e) {
            CHECK(std::string(e.what()) ==
                  "history key rbus:history:{raptorflow.events.agent.task_started} holds a string, not a stream");
        }
    }
    {
        auto t = std::make_unique<FakeTransport>();
        t->chunks = {"-OOM command not allowed when used memory > 'maxmemory'.\r\n"};
        Connection conn(std::move(t));
        CHECK_THROWS_AS(Publisher(conn, ctx, po).publish(env), ReplyError);
    }
}
