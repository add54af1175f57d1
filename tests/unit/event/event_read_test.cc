// EnvelopeReader (event_read.h): the one pass must print, byte for byte, what
// the tree reader (read_envelope + dump) prints, for every shape and spelling,
// and say the same reason when a message is invalid.
#include <string>

#include <doctest/doctest.h>

#include "event/envelope.h"
#include "event/envelope_gen.h"
#include "event/event_read.h"
#include "base/uuid.h"

using namespace rbus;

namespace {

// Reads raw both ways and checks that they agree; returns whether the one pass settled it.
bool agrees(EnvelopeReader& reader, const std::string& raw) {
    INFO("message: " << raw);
    const EventRead& got = reader.read(raw);
    ReadResult want = read_envelope(raw);
    REQUIRE(got.ok() == want.ok());
    CHECK(got.shape == want.shape);
    if (!want.ok()) {
        CHECK(got.error == want.error);
        return !got.full_read;
    }
    const Envelope& e = *want.envelope;
    CHECK(got.event.text == e.dump());
    CHECK(got.event.id == e.id());
    CHECK(got.event.type == e.type());
    CHECK(got.event.priority_text == e.priority_text());
    CHECK(got.event.payload == e.payload().dump());
    auto same = [](const std::optional<std::string_view>& a, const std::string* b) {
        return a ? b && *a == *b : b == nullptr;
    };
    CHECK(same(got.event.request_id, e.request_id()));
    CHECK(same(got.event.source_agent_id, e.source_agent_id()));
    CHECK(same(got.event.workspace_id, e.workspace_id()));
    CHECK(same(got.event.timestamp, e.timestamp()));
    return !got.full_read;
}

}  // namespace

TEST_CASE("one-pass read: generated messages of every shape print what the tree reader prints") {
    rbus::testing::MessageGenerator gen(20261130);
    EnvelopeReader reader;
    int clean_valid = 0, clean_one_pass = 0;
    for (int n = 0; n < 20000; ++n) {
        const bool defects = n % 3 == 0;
        std::string raw = gen.message(defects);
        bool one_pass = agrees(reader, raw);
        if (!defects && read_envelope(raw).ok()) {
            ++clean_valid;
            clean_one_pass += one_pass;
        }
    }
    // The tree is for the rare message: clean ones (duplicate payload keys aside) take the one pass.
    CHECK(clean_valid > 5000);
    CHECK(clean_one_pass * 100 >= clean_valid * 95);
    CHECK(reader.one_pass_reads() + reader.full_reads() == 20000);
}

TEST_CASE("one-pass read: the Python shapes are rewritten, not handed to the tree") {
    EnvelopeReader reader;
    const std::string bus_event =
        R"({"id": "e1", "type": "agent.task_started", "payload": {"n": 1E5, "s": "caf\u00e9", "l": [1.0, -0]}, )"
        R"("priority": "high", "source_agent_id": null, "request_id": "r1", "timestamp": "2026-11-26T16:10:30.237319", )"
        R"("version": "1.0", "retry_count": 0, "max_retries": 3, "destination_guild": null})";
    const EventRead& r = reader.read(bus_event);
    REQUIRE(r.ok());
    CHECK_FALSE(r.full_read);
    CHECK(r.shape == Shape::bus_event);
    CHECK(r.event.text ==
          R"({"id":"e1","type":"agent.task_started","payload":{"n":100000.0,"s":"café","l":[1.0,0]},"priority":"high",)"
          R"("request_id":"r1","source_agent_id":null,"workspace_id":null,"timestamp":"2026-11-26T16:10:30.237319Z",)"
          R"("version":"1.0","retry_count":0,"max_retries":3,"destination_guild":null})");

    const std::string legacy =
        R"({"event_type": "heartbeat", "workspace_id": "ws-1", "correlation_id": "c-9", "payload": {}, )"
        R"("timestamp": "2026-11-26T18:10:30.237319+02:00"})";
    const EventRead& l = reader.read(legacy);
    REQUIRE(l.ok());
    CHECK_FALSE(l.full_read);
    CHECK(l.shape == Shape::legacy);
    CHECK(l.event.id == uuid_v5(legacy));
    CHECK(l.event.request_id == std::optional<std::string_view>("c-9"));
    CHECK(l.event.text == R"({"id":")" + uuid_v5(legacy) +
                              R"(","type":"heartbeat","payload":{},"priority":"normal","request_id":"c-9",)"
                              R"("source_agent_id":null,"workspace_id":"ws-1","timestamp":"2026-11-26T16:10:30.237319Z"})");
}

TEST_CASE("one-pass read: what only the tree can settle is handed to it, and still agrees") {
    EnvelopeReader reader;
    for (const char* raw : {
             R"({"type":"a.b","type":"c.d"})",                    // duplicate top-level key
             R"({"typ\u0065":"a.b"})",                            // a key spelled with an escape
             R"({"type":"a.b","payload":{"k":1,"k":2}})",         // duplicate payload key
             R"({"type":"a.b","payload":{"n":1e400}})",           // beyond a double
             "\xEF\xBB\xBF{\"type\":\"a.b\"}",                    // a byte order mark
             R"({"type":null})", R"({"type":""})", R"({"type":"a.b","priority":"urgent"})",
             R"({"type":"a.b","id":5})", R"({"type":"a.b","request_id":[]})", "[1]", "", "  ", "{",
             R"({"type":"a.b"} x)", "{\"type\":\"a\xff\"}",
         }) {
        std::string text(raw);
        agrees(reader, text);
        CHECK(reader.read(text).full_read);
    }
}

TEST_CASE("one-pass read: deep nesting up to the limit, and past it") {
    EnvelopeReader reader;
    for (int depth : {30, 40, 100, 510, 511, 512}) {
        std::string raw = R"({"type":"a.b","payload":)" + std::string(static_cast<std::size_t>(depth), '[') +
                          std::string(static_cast<std::size_t>(depth), ']') + "}";
        INFO("depth " << depth);
        agrees(reader, raw);
    }
}
