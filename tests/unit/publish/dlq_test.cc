#include <doctest/doctest.h>

#include "bus/dlq.h"
#include "bus/dlq_read.h"
#include "redis/resp_reader.h"
#include "base/uuid.h"
#include "event/event_read.h"
#include "publish/dlq_redrive.h"

using namespace rbus;

namespace {
SystemTime dlq_at(std::string_view ts) { return *parse_timestamp(ts); }
const char* kDlqEvent = R"({"id":"e-1","type":"job.run","payload":{},"priority":"normal","request_id":null,"source_agent_id":null,"workspace_id":null,"timestamp":"2026-11-30T09:00:00.000000Z"})";
}  // namespace

TEST_CASE("RaptorBus's DLQ record: its five keys, the event as a JSON string") {
    DeadLetter d;
    d.envelope = kDlqEvent;
    d.reason = kReasonMaxRetries;
    d.channel = "raptorflow.events.job.run";
    d.error_details = "handler failed (exit 3) after 3 deliveries";
    std::string rec = raptorbus_dlq_record(d, dlq_at("2026-11-30T10:00:00Z"));
    Json j = Json::parse(rec);
    CHECK(j.size() == 5);
    CHECK(j["original_channel"] == "raptorflow.events.job.run");
    CHECK(j["reason"] == "max_retries_exceeded");
    CHECK(j["timestamp"] == "2026-11-30T10:00:00.000000Z");
    CHECK(j["event"] == kDlqEvent);
    d.envelope = {};
    CHECK(Json::parse(raptorbus_dlq_record(d, dlq_at("2026-11-30T10:00:00Z")))["event"].is_null());
}

TEST_CASE("the DLQ move: one script of XADD, SET EX 30 days, PUBLISH on sys.dlq.{reason}, XACK, in that order") {
    DeadLetter d;
    d.envelope = kDlqEvent;
    d.reason = kReasonMaxRetries;
    d.channel = "raptorflow.events.job.run";
    d.stream = "rbus:history:{raptorflow.events.job.run}";
    d.entry_id = "5-0";
    d.group = "g";
    d.consumer = "c";
    d.deliveries = 3;
    d.exit_status = 3;
    std::string out;
    append_dlq_move(out, HistoryKeys(), d, "u-1", dlq_at("2026-11-30T10:00:00Z"));
    Reply r = build_reply(out);  // the command, read back as the server would
    REQUIRE(r->type == REDIS_REPLY_ARRAY);
    std::vector<std::string> a;
    for (std::size_t i = 0; i < r->elements; ++i) a.emplace_back(reply_text(r->element[i]));
    REQUIRE(a.size() > 12);
    CHECK(a[0] == "EVAL");
    std::size_t xadd = a[1].find("XADD"), set = a[1].find("'SET'"), pub = a[1].find("PUBLISH"), xack = a[1].find("XACK");
    CHECK(xadd < set);  // the DLQ entry first: a DLQ key of another type stops it before anything else
    CHECK(set < pub);
    CHECK(pub < xack);  // acknowledged last
    CHECK(xack != std::string::npos);
    CHECK(a[2] == "3");
    CHECK(a[3] == "rbus:dlq");
    CHECK(a[4] == "dlq:sys.dlq.max_retries_exceeded:u-1");
    CHECK(a[5] == d.stream);
    CHECK(Json::parse(a[6])["event"] == kDlqEvent);  // the record
    CHECK(a[7] == "2592000");
    CHECK(a[8] == "sys.dlq.max_retries_exceeded");
    CHECK(a[9] == "g");
    CHECK(a[10] == "5-0");
    CHECK(a[11] == "envelope");
    CHECK(a[12] == kDlqEvent);
    CHECK(out.find("$11\r\nexit_status\r\n$1\r\n3\r\n") != std::string::npos);
}

TEST_CASE("reading a RaptorBus record; the line --dlq prints; selection by reason, time and type") {
    auto e = parse_raptorbus_record(
        "dlq:sys.dlq.routing_error:u",
        R"({"original_channel":"raptorflow.events.job.run","reason":"routing_error","error_details":"x","timestamp":"2026-11-30T09:00:00.5","event":null})");
    REQUIRE(e);
    CHECK(e->failed_at == "2026-11-30T09:00:00.500000Z");
    CHECK(dlq_line(*e).rfind(R"({"dlq":{"source":"raptorbus","key":"dlq:sys.dlq.routing_error:u","reason":"routing_error")", 0) == 0);
    CHECK_FALSE(parse_raptorbus_record("k", "[1]"));
    CHECK_FALSE(parse_raptorbus_record("k", "not json"));

    DlqEntry r;
    r.ref = "5-0";
    r.envelope = kDlqEvent;
    r.reason = "max_retries_exceeded";
    r.failed_at = "2026-11-30T09:30:00.000000Z";
    Json line = Json::parse(dlq_line(r));
    CHECK(line["id"] == "e-1");
    CHECK(line["dlq"]["source"] == "rbus");
    CHECK(line.begin().key() == "id");

    DlqSelection sel;
    CHECK(dlq_selected(r, sel));
    sel.reasons = {"routing_error"};
    CHECK_FALSE(dlq_selected(r, sel));
    sel.reasons = {};
    sel.type_globs = {"job.*"};
    CHECK(dlq_selected(r, sel));
    sel.type_globs = {"agent.*"};
    CHECK_FALSE(dlq_selected(r, sel));
    sel.type_globs = {};
    sel.range = parse_replay_range("2026-11-30T09:45:00Z", "", dlq_at("2026-11-30T10:00:00Z"));
    CHECK_FALSE(dlq_selected(r, sel));

    CHECK(Json::parse(redriven_body(r))["redriven"] == true);
    CHECK(Json::parse(redriven_body(r))["id"] == "e-1");
    // A legacy dict without an id: redriven under the id readers gave it (the UUID v5 of its bytes).
    std::string legacy = R"({"event_type":"leg.acy","workspace_id":"ws","payload":{},"timestamp":"2026-11-30T09:00:00"})";
    r.envelope = legacy;
    Json back = Json::parse(redriven_body(r));
    CHECK(back["id"] == uuid_v5(legacy));
    CHECK(back["redriven"] == true);
    EnvelopeReader reader;
    CHECK(std::string(reader.read(back.dump()).event.id) == uuid_v5(legacy));
    r.envelope = "";
    CHECK(redriven_body(r).empty());
}
