#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "event/canonical.h"
#include "event/event_read.h"
#include "json/json_canon.h"
#include "base/timestamp.h"

using namespace rbus;

namespace {
// What the slow path prints for a message: read, normalised, dumped.
std::string slow(std::string_view raw) {
    ReadResult r = read_envelope(raw);
    return r.ok() ? r.envelope->dump() : "invalid: " + r.error;
}
// Whether the one pass prints the message exactly as received.
bool fast(std::string_view raw) {
    EnvelopeReader reader;
    const EventRead& r = reader.read(raw);
    return r.ok() && !r.full_read && r.event.text == raw;
}
constexpr const char* kHead = R"({"id":"7d3c6f2e-1a4b-4c5d-8e9f-0a1b2c3d4e5f","type":"agent.task_started","payload":)";
constexpr const char* kTail =
    R"(,"priority":"high","request_id":"corr-1","source_agent_id":null,"workspace_id":"ws-1","timestamp":"2026-11-26T16:10:30.237319Z"})";
std::string with_payload(std::string_view payload) { return kHead + std::string(payload) + kTail; }
std::string base_with_event_type() {
    std::string s = with_payload("{}");
    return s.insert(s.size() - 1, R"(,"event_type":"x")");
}
}  // namespace

TEST_CASE("a canonical envelope is read as received and its fields are set") {
    std::string raw = with_payload(R"({"agent_id":"RES-001","n":1})");
    EnvelopeReader reader;
    const EventRead& r = reader.read(raw);
    REQUIRE(r.ok());
    const EventView& e = r.event;
    CHECK(e.text == raw);
    CHECK(e.id == "7d3c6f2e-1a4b-4c5d-8e9f-0a1b2c3d4e5f");
    CHECK(e.type == "agent.task_started");
    CHECK(e.payload == R"({"agent_id":"RES-001","n":1})");
    CHECK(e.priority == Priority::high);
    CHECK(e.request_id == std::optional<std::string_view>("corr-1"));
    CHECK_FALSE(e.source_agent_id);
    CHECK(e.workspace_id == std::optional<std::string_view>("ws-1"));
    CHECK(e.timestamp == std::optional<std::string_view>("2026-11-26T16:10:30.237319Z"));
    CHECK(slow(raw) == raw);
}

TEST_CASE("what is canonical prints unchanged on the slow path") {
    // Each of these must be recognised, and the full read must give the same bytes back.
    for (std::string payload : {
             R"({})", R"({"a":[1,-2,3.5,0.1,1e-07,1.0,-0.0,true,false,null,"x",[],{}]})",
             R"({"s":"café – ü 🚀"})", R"({"esc":"q\" b\\ \b\f\n\r\t \u0001\u001f"})",
             R"({"big":18446744073709551615,"neg":-9223372036854775808})",
             R"({"deep":{"a":{"b":{"c":[[[{"d":1}]]]}}}})", "{\"del\":\"\x7f\"}"}) {
        INFO(payload);
        std::string raw = with_payload(payload);
        CHECK(fast(raw));
        CHECK(slow(raw) == raw);
    }
    std::string extra = with_payload("{}");
    extra.insert(extra.size() - 1, R"(,"version":"1.0","retry_count":0,"meta":{"k":[1]})");
    CHECK(fast(extra));
    CHECK(slow(extra) == extra);
    // A payload of another kind, and event_type beside a type (then an unknown key), read as they are.
    for (std::string raw : {with_payload("[1]"), with_payload("null"), base_with_event_type()}) {
        INFO(raw);
        CHECK(fast(raw));
        CHECK(slow(raw) == raw);
    }
}

TEST_CASE("anything the slow path would rewrite, or refuse, is not printed as received") {
    std::string base = with_payload("{}");
    std::string deep = "1";  // deeper than the one pass tracks keys: the full read decides
    for (int i = 0; i < 70; ++i) deep = "{\"a\":" + deep + "}";
    auto replace = [&](std::string_view from, std::string_view to) {
        std::string s = base;
        s.replace(s.find(from), from.size(), to);
        return s;
    };
    for (const std::string& raw : std::vector<std::string>{
             with_payload(R"({"a": 1})"), with_payload(R"({"a":"\/"})"), with_payload(R"({"a":"\u00e9"})"),
             with_payload(R"({"a":"\u001F"})"), with_payload(R"({"a":"\u000a"})"), with_payload(R"({"a":1.50})"),
             with_payload(R"({"a":1E5})"), with_payload(R"({"a":-0})"), with_payload(R"({"a":1e400})"),
             with_payload(R"({"a":18446744073709551616})"), with_payload(R"({"a":1,"a":2})"),
             with_payload(R"({"a":"\ud83d\ude80"})"), base + " ", " " + base,
             replace("\"priority\":\"high\"", "\"priority\":null"), replace("\"high\"", "\"HIGH\""),
             replace("\"agent.task_started\"", "\"\""), replace("\"agent.task_started\"", "7"),
             replace(".237319Z", "Z"), replace(".237319Z", ".237319+00:00"), replace("30.237319", "60.237319"),
             replace("\"ws-1\"", "7"), replace(",\"workspace_id\":\"ws-1\"", ""),
             replace("\"request_id\":\"corr-1\",", ""),
             replace("\"id\":", "\"ID\":"), replace("}", ",\"type\":\"x.y\"}"),
             R"({"event_type":"a.b","workspace_id":"ws","correlation_id":"c","payload":{},"timestamp":"2026-11-26T16:10:30.237319"})",
             "[]", "null", "", "{", "{\"id\":\"\xff\"}",
             with_payload(deep),
         }) {
        INFO(raw);
        CHECK_FALSE(fast(raw));
    }
}

TEST_CASE("numbers: canonical exactly when nlohmann writes them back the same") {
    for (std::string_view n : {"0", "1", "-1", "123456789", "18446744073709551615", "-9223372036854775808", "1.5",
                               "0.1", "1e-07", "1.0", "-0.0", "1e+100", "2.5e-300"}) {
        INFO(n);
        CHECK(is_canonical_number(n));
        CHECK(Json::parse(n).dump() == n);
    }
    for (std::string_view n : {"-0", "1.50", "1e5", "1E5", "0.10", "100000000000000000000", "-9223372036854775809",
                               "1e400", "1e-400", "1.0e0"}) {
        INFO(n);
        CHECK_FALSE(is_canonical_number(n));
    }
}

TEST_CASE("timestamps: only the normalised form") {
    CHECK(is_canonical_timestamp("2026-11-26T16:10:30.237319Z"));
    CHECK(is_canonical_timestamp("2024-02-29T23:59:59.000000Z"));
    CHECK(normalize_timestamp("2024-02-29T23:59:59.000000Z") == "2024-02-29T23:59:59.000000Z");
    for (std::string_view t : {"2026-11-26T16:10:30.237319", "2026-11-26t16:10:30.237319Z", "2026-11-26 16:10:30.237319Z",
                               "2026-11-26T16:10:30.2373Z", "2026-11-26T16:10:60.000000Z", "2025-02-29T00:00:00.000000Z",
                               "2026-13-01T00:00:00.000000Z", "2026-11-26T24:00:00.000000Z", "0001-01-01T00:00:00.000000Z"}) {
        INFO(t);
        CHECK_FALSE(is_canonical_timestamp(t));
    }
}

TEST_CASE("string tokens compare decoded") {
    CHECK(token_equals("\"ws-1\"", "ws-1"));
    CHECK(token_equals("\"a\\nb\"", "a\nb"));
    CHECK_FALSE(token_equals("null", "null"));
    CHECK_FALSE(token_equals("\"ws-1\"", "ws-2"));
    std::string out;
    append_json_text(out, {jscan::Kind::string, "\"caf\\u00e9\""});
    CHECK(out == "café");
    out.clear();
    append_json_text(out, {jscan::Kind::object, R"({"a":1})"});
    CHECK(out == R"({"a":1})");
}
