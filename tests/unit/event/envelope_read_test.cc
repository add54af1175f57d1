// read_envelope: the three shapes, tolerant defaults, and every way a
// message can be invalid (envelope_read.cc).
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "event/envelope.h"
#include "event/envelope_fixtures.h"
#include "base/error.h"
#include "base/uuid.h"

using namespace rbus;

namespace {

constexpr const char* kReadTs = rbus::testing::kFixedTimestamp;

bool printable_reason(const std::string& s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) return false;
    return true;
}

// Reads text that must be invalid; returns the reason.
std::string reason(std::string_view raw) {
    ReadResult r;
    REQUIRE_NOTHROW(r = read_envelope(raw));
    CHECK_FALSE(r.ok());
    CHECK_FALSE(r.error.empty());
    CHECK(printable_reason(r.error));
    return r.error;
}

Envelope read_ok(std::string_view raw) {
    ReadResult r = read_envelope(raw);
    INFO(r.error);
    REQUIRE(r.ok());
    return *r.envelope;
}

}  // namespace

// ---- Reading: the three shapes ----------------------------------------------------------

TEST_CASE("read: the rbus shape round-trips byte for byte") {
    EnvelopeFields f = rbus::testing::fields("agent.task_started", Json{{"k", "v"}});
    f.request_id = "r1";
    Envelope sent = Envelope::create(std::move(f));
    ReadResult r = read_envelope(sent.dump());
    REQUIRE(r.ok());
    CHECK(r.shape == Shape::rbus);
    CHECK(r.error.empty());
    CHECK(r.envelope->dump() == sent.dump());
}

TEST_CASE("read: BusEvent keeps its extra keys, in order, after the known ones; naive time is UTC") {
    const std::string raw =
        R"({"version":"1.0","id":"e1","type":"agent.task_started","payload":{"k":"v"},"priority":"high",)"
        R"("request_id":"r1","source_agent_id":"a1","timestamp":"2026-11-26T16:10:30.237319",)"
        R"("retry_count":0,"max_retries":3,"destination_guild":null})";
    ReadResult r = read_envelope(raw);
    REQUIRE(r.ok());
    CHECK(r.shape == Shape::bus_event);
    CHECK(r.envelope->dump() ==
          R"({"id":"e1","type":"agent.task_started","payload":{"k":"v"},"priority":"high","request_id":"r1",)"
          R"("source_agent_id":"a1","workspace_id":null,"timestamp":"2026-11-26T16:10:30.237319Z",)"
          R"("version":"1.0","retry_count":0,"max_retries":3,"destination_guild":null})");
}

TEST_CASE("read: the legacy dict is mapped, its names not repeated") {
    const std::string raw =
        R"({"event_type":"workflow.completed","workspace_id":"ws-1","correlation_id":"c-1",)"
        R"("payload":{"x":1},"timestamp":"2026-11-26T18:10:30.5+02:00","extra":[1,2]})";
    ReadResult r = read_envelope(raw);
    REQUIRE(r.ok());
    CHECK(r.shape == Shape::legacy);
    const Envelope& e = *r.envelope;
    CHECK(e.dump() == R"({"id":")" + uuid_v5(raw) +
                          R"(","type":"workflow.completed","payload":{"x":1},"priority":"normal",)"
                          R"("request_id":"c-1","source_agent_id":null,"workspace_id":"ws-1",)"
                          R"("timestamp":"2026-11-26T16:10:30.500000Z","extra":[1,2]})");
    CHECK(e.type() == "workflow.completed");
    REQUIRE(e.request_id());
    CHECK(*e.request_id() == "c-1");
}

TEST_CASE("read: legacy with both request_id and correlation_id keeps correlation_id as unknown") {
    Envelope e = read_ok(R"({"event_type":"a","request_id":"r","correlation_id":"c"})");
    CHECK(*e.request_id() == "r");
    CHECK(e.json()["correlation_id"] == "c");
    CHECK(rbus::testing::keys(e.json()).back() == "correlation_id");
}

TEST_CASE("read: with a type, event_type and correlation_id are plain unknown keys") {
    ReadResult r = read_envelope(R"({"type":"a.b","event_type":"x.y","correlation_id":"c"})");
    REQUIRE(r.ok());
    CHECK(r.shape == Shape::rbus);
    CHECK(r.envelope->type() == "a.b");
    CHECK(r.envelope->request_id() == nullptr);
    CHECK(rbus::testing::keys(r.envelope->json()) == std::vector<std::string>{"id", "type", "payload", "priority", "request_id",
                                                               "source_agent_id", "workspace_id", "timestamp",
                                                               "event_type", "correlation_id"});
}

TEST_CASE("read: tolerant defaults") {
    Envelope e = read_ok(R"({"type":"heartbeat"})");  // one word: fine when reading
    CHECK(e.type() == "heartbeat");
    CHECK(e.priority_text() == "normal");
    CHECK(e.payload() == Json::object());
    CHECK(e.timestamp() == nullptr);
    CHECK(e.json()["timestamp"].is_null());
    CHECK(e.request_id() == nullptr);
    CHECK(e.id() == uuid_v5(R"({"type":"heartbeat"})"));

    CHECK(read_ok(R"({"type":"a","priority":null})").priority() == Priority::normal);
    CHECK(read_ok(R"({"type":"a","payload":[1,"x"]})").payload() == Json::parse(R"([1,"x"])"));  // kept as is
    CHECK(read_ok(R"({"type":"a","payload":null})").payload().is_null());
    CHECK(*read_ok(R"({"type":"a","timestamp":"last tuesday"})").timestamp() == "last tuesday");  // kept
    CHECK(read_ok(R"({"type":"a","timestamp":1764173430})").json()["timestamp"] == 1764173430);
    CHECK(read_ok(R"({"type":"a","id":""})").id() == "");
    CHECK(read_ok(R"({"type":"a.b","id":"x","id":"y"})").id() == "y");  // duplicate key: the last wins
    CHECK(read_ok(R"( {"type":"a"} )").type() == "a");
    CHECK(read_ok(R"({"type":"a","payload":{"deep":"[[[[{{{{"}})").payload()["deep"] == "[[[[{{{{");
}

TEST_CASE("read: large objects keep key order, duplicates resolved as nlohmann does") {
    std::string raw = R"({"type":"a.b","payload":{)";
    for (int i = 0; i < 40; ++i) raw += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    raw += R"("k3":"last","k0":{"k0":1,"k0":2}}})";
    const Envelope e = read_ok(raw);
    const Json& p = e.payload();
    REQUIRE(p.size() == 40);
    CHECK(p.begin().key() == "k0");
    CHECK(p["k0"] == Json{{"k0", 2}});
    CHECK(std::next(p.begin(), 3).key() == "k3");
    CHECK(p["k3"] == "last");
    CHECK(std::prev(p.end()).key() == "k39");

    // 100,000 keys in one object: linear, not quadratic (nlohmann's own builder takes seconds).
    std::string many = R"({"type":"a.b","payload":{)";
    for (int i = 0; i < 100000; ++i) many += "\"k" + std::to_string(i) + "\":0,";
    many.back() = '}';
    many += "}";
    CHECK(read_ok(many).payload().size() == 100000);
}

TEST_CASE("read: a missing id is a UUID v5 of the raw bytes") {
    const std::string raw = R"({"event_type":"workflow.completed"})";
    Envelope a = read_ok(raw), b = read_ok(raw), c = read_ok(raw + " ");
    CHECK(a.id() == b.id());
    CHECK(a.id() == "9928d4e1-d425-5b1f-bbbd-97219eb550dc");
    CHECK(a.id() != c.id());
    CHECK(a.id()[14] == '5');
    CHECK(read_ok(R"({"type":"a","id":"mine"})").id() == "mine");
}

// ---- Reading: invalid messages ----------------------------------------------------------

TEST_CASE("read: invalid messages give a reason, never an exception") {
    CHECK(reason("[1]") == "not a JSON object (got array)");
    CHECK(reason(R"("x")") == "not a JSON object (got string)");
    CHECK(reason("42") == "not a JSON object (got number)");
    CHECK(reason("null") == "not a JSON object (got null)");
    CHECK(reason("{}") == "no type");
    CHECK(reason(R"({"type":null})") == "no type");
    CHECK(reason(R"({"type":""})") == "empty type");
    CHECK(reason(R"({"event_type":""})") == "empty type");
    CHECK(reason(R"({"type":5})") == "type is not a string (got number)");
    CHECK(reason(R"({"type":"a","id":7})") == "id is not a string (got number)");
    CHECK(reason(R"({"type":"a","id":null})") == "id is not a string (got null)");
    CHECK(reason(R"({"type":"a","priority":"urgent"})") == R"(unknown priority "urgent")");
    CHECK(reason(R"({"type":"a","priority":"HIGH"})") == R"(unknown priority "HIGH")");
    CHECK(reason(R"({"type":"a","priority":5})") == "unknown priority 5");
    CHECK(reason(R"({"type":"a","request_id":5})") == "request_id is not a string or null (got number)");
    CHECK(reason(R"({"type":"a","workspace_id":{}})") == "workspace_id is not a string or null (got object)");
    CHECK(reason(R"({"event_type":"a","correlation_id":[]})") == "request_id is not a string or null (got array)");
    CHECK(reason(R"({"type":"a","source_agent_id":true})") ==
          "source_agent_id is not a string or null (got boolean)");
    CHECK(reason("") == "empty message");
    CHECK(reason(" \n") == "empty message");
}

TEST_CASE("read: bad JSON") {
    CHECK(reason(R"({"type":)").starts_with("invalid JSON at byte"));
    CHECK(reason(R"({"type":"a.b",})") ==
          "invalid JSON at byte 15: syntax error while parsing object key - unexpected '}'; expected string literal");
    CHECK(reason(R"({"type":"a.b"} trailing)").find("expected end of input") != std::string::npos);
    CHECK(reason("not json") == "invalid JSON at byte 2: syntax error while parsing value - invalid literal");
    CHECK(reason(R"({"type":"a","n":1e999})").starts_with("invalid JSON"));
    CHECK(reason(std::string("{\"type\":\"a\"\0}", 13)).starts_with("invalid JSON"));
    // The echo of the raw bytes is dropped: a huge bad token does not make a huge reason.
    CHECK(reason(R"({"type":"a","x":)" + std::string(100000, 'z') + "}").size() < 200);
}

TEST_CASE("read: invalid UTF-8 is an invalid message") {
    CHECK(reason("{\"type\":\"a.b\",\"payload\":{\"x\":\"\xff\"}}") == "invalid UTF-8 at byte 31");
    CHECK(reason("{\"type\":\"a.\xc0\xaf\"}").starts_with("invalid UTF-8"));          // overlong
    CHECK(reason("{\"type\":\"a.\xed\xa0\x80\"}").starts_with("invalid UTF-8"));      // surrogate
    CHECK(reason("{\"type\":\"a.\xf4\x90\x80\x80\"}").starts_with("invalid UTF-8"));  // past U+10FFFF
    CHECK(reason("{\"type\":\"a.\xe2\x82\"}").starts_with("invalid UTF-8"));          // truncated
    CHECK(reason("{\"\xff\":1}").starts_with("invalid UTF-8"));
    CHECK(read_ok("{\"type\":\"a.b\",\"payload\":{\"x\":\"\xf0\x9f\x9a\x80 \xe2\x9c\x93\"}}").payload()["x"] ==
          "\xf0\x9f\x9a\x80 \xe2\x9c\x93");
}

TEST_CASE("read: deep nesting is refused before parsing") {
    CHECK(reason(std::string(100000, '[')) == "nesting too deep (more than 512 levels)");
    CHECK(reason(std::string(100000, '[') + std::string(100000, ']')) == "nesting too deep (more than 512 levels)");
    CHECK(reason(R"({"type":"a","payload":)" + std::string(100000, '{')) == "nesting too deep (more than 512 levels)");
    std::string ok = R"({"type":"a","payload":)" + std::string(500, '[') + std::string(500, ']') + "}";
    CHECK(read_ok(ok).payload().is_array());
    // Brackets inside strings are not nesting.
    CHECK(read_ok(R"({"type":"a","s":")" + std::string(5000, '[') + R"(\"[["})").type() == "a");
    CHECK(json_depth(R"({"a":[1,{"b":"]]]"}]})") == 3);
    CHECK(json_depth("]]]][[") == 2);
}

TEST_CASE("read: arbitrary bytes never crash or throw") {
    std::mt19937 rng(12345);
    EnvelopeFields f = rbus::testing::fields("agent.task_started", Json{{"a", Json::array({1, "x"})}});
    f.id = "6f1c4a52-3d47-4c0b-9a53-1f0e3f5b8a11";
    f.timestamp = kReadTs;  // fixed, so that every run mutates the same bytes
    const std::string valid = Envelope::create(std::move(f)).dump();
    const std::string alphabet = "{}[]\":,\\ 0123456789.eE+-truefalsnu\xff\xc3\xa9\x80\x00";
    for (int i = 0; i < 5000; ++i) {
        std::string raw = valid;
        if (i % 2 == 0) {  // random bytes
            raw.assign(rng() % 64, '\0');
            for (char& c : raw) c = alphabet[rng() % alphabet.size()];
        } else {  // a valid envelope, mutated
            for (int k = 0, n = 1 + static_cast<int>(rng() % 4); k < n; ++k) {
                auto pos = rng() % raw.size();
                switch (rng() % 3) {
                    case 0: raw[pos] = static_cast<char>(rng()); break;
                    case 1: raw.erase(pos, 1); break;
                    default: raw.insert(pos, 1, alphabet[rng() % alphabet.size()]);
                }
            }
        }
        ReadResult r;
        REQUIRE_NOTHROW(r = read_envelope(raw));
        if (r.ok()) {
            CHECK(r.error.empty());
            CHECK_NOTHROW((void)r.envelope->dump());
            CHECK(is_valid_utf8(r.envelope->dump()));
        } else {
            CHECK_FALSE(r.error.empty());
            CHECK(printable_reason(r.error));
        }
    }
}

TEST_CASE("is_valid_utf8") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("plain ascii"));
    CHECK(is_valid_utf8("h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x9a\x80"));
    CHECK(is_valid_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
    CHECK_FALSE(is_valid_utf8("\xff"));
    CHECK_FALSE(is_valid_utf8("\xc3"));
    CHECK_FALSE(is_valid_utf8("\xc1\xbf"));       // overlong
    CHECK_FALSE(is_valid_utf8("\xe0\x80\xaf"));   // overlong
    CHECK_FALSE(is_valid_utf8("\xed\xbf\xbf"));   // surrogate
    CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));
    CHECK_FALSE(is_valid_utf8("\x80"));
}
