#include "event/envelope.h"

#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "event/envelope_fixtures.h"
#include "base/error.h"
#include "base/timestamp.h"
#include "base/uuid.h"

using namespace rbus;

namespace {

constexpr const char* kTs = rbus::testing::kFixedTimestamp;
using rbus::testing::fields;
using rbus::testing::keys;

// The message of the UsageError that create() throws, or "" when it does not throw.
std::string create_error(EnvelopeFields f) {
    try {
        Envelope::create(std::move(f));
    } catch (const UsageError& e) {
        return e.what();
    }
    return "";
}

std::string type_error(std::string_view type) {
    try {
        validate_type(type);
    } catch (const UsageError& e) {
        return e.what();
    }
    return "";
}

bool is_printable_line(const std::string& s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) return false;
    return true;
}

}  // namespace

// ---- Priority and type ----------------------------------------------------------------

TEST_CASE("priorities: exact lowercase names") {
    for (Priority p : {Priority::low, Priority::normal, Priority::high, Priority::critical})
        CHECK(parse_priority(priority_name(p)) == p);
    CHECK(priority_name(Priority::critical) == "critical");
    CHECK_FALSE(parse_priority("HIGH"));
    CHECK_FALSE(parse_priority("urgent"));
    CHECK_FALSE(parse_priority(""));
}

TEST_CASE("validate_type accepts lowercase dotted words") {
    for (std::string ok : {"agent.task_started", "agent.task-started", "a.b", "a1.2b", "a.b.c.d", "x_y.z-w",
                           "model.inference_complete", "a.-", "a.0"}) {
        CAPTURE(ok);
        CHECK(type_error(ok) == "");
    }
    CHECK(type_error("a." + std::string(198, 'b')) == "");  // exactly 200
}

TEST_CASE("validate_type rejects with a message naming the problem") {
    CHECK(type_error("Foo") == R"(invalid event type "Foo": must be lowercase dotted words like agent.task_started)");
    CHECK(type_error("agent.Task") ==
          R"(invalid event type "agent.Task": must be lowercase dotted words like agent.task_started)");
    CHECK(type_error("heartbeat") ==
          R"(invalid event type "heartbeat": needs at least two dotted words, like agent.task_started)");
    CHECK(type_error("1agent.x") ==
          R"(invalid event type "1agent.x": must start with a letter a-z, like agent.task_started)");
    CHECK(type_error("agent.") == R"(invalid event type "agent.": must not end with a dot)");
    CHECK(type_error("agent..x") == R"(invalid event type "agent..x": empty word between dots)");
    CHECK(type_error("") == R"(invalid event type "": must not be empty)");
    CHECK(type_error(".agent.x").find("must start with a letter a-z") != std::string::npos);
    CHECK(type_error("_a.b").find("must start with a letter a-z") != std::string::npos);
    CHECK(type_error("agent.task started") ==
          R"(invalid event type "agent.task started": character ' ' is not allowed; use a-z, 0-9, _ and - in dotted words like agent.task_started)");
    CHECK(type_error("agent.t\xc3\xa2" "che").find("a non-ASCII character is not allowed") != std::string::npos);

    const std::string too_long = "a." + std::string(199, 'b');
    CHECK(type_error(too_long).find("longer than 200 characters (201)") != std::string::npos);
    CHECK(type_error(too_long).size() < 150);  // the type is shown shortened

    // Control characters and invalid UTF-8 are escaped: the message stays one printable line.
    const std::string nl = type_error("agent.x\n");
    CHECK(nl == R"(invalid event type "agent.x\n": a control character is not allowed; use a-z, 0-9, _ and - in dotted words like agent.task_started)");
    const std::string esc = type_error("agent.\x1b[31m");
    CHECK(esc.find("\\u001b") != std::string::npos);
    CHECK(is_printable_line(esc));
    CHECK(is_printable_line(type_error("agent.\xff\xfe")));
}

// ---- Creating ---------------------------------------------------------------------------

TEST_CASE("create: canonical key order, compact, nulls included") {
    EnvelopeFields f = fields("agent.task_started", Json::parse(R"({"task":"t1","n":2})"));
    f.id = "evt-1";
    f.timestamp = kTs;
    Envelope e = Envelope::create(std::move(f));
    CHECK(e.dump() ==
          R"({"id":"evt-1","type":"agent.task_started","payload":{"task":"t1","n":2},"priority":"normal",)"
          R"("request_id":null,"source_agent_id":null,"workspace_id":null,"timestamp":"2026-11-26T16:10:30.237319Z"})");
    CHECK(e.id() == "evt-1");
    CHECK(e.type() == "agent.task_started");
    CHECK(e.priority() == Priority::normal);
    CHECK(e.priority_text() == "normal");
    CHECK(e.request_id() == nullptr);
    CHECK(e.source_agent_id() == nullptr);
    CHECK(e.workspace_id() == nullptr);
    REQUIRE(e.timestamp() != nullptr);
    CHECK(*e.timestamp() == kTs);
    CHECK(e.payload()["task"] == "t1");
}

TEST_CASE("create: defaults are a fresh UUID v4 and the current time") {
    Envelope a = Envelope::create(fields("agent.task_started"));
    Envelope b = Envelope::create(fields("agent.task_started"));
    CHECK(keys(a.json()) == std::vector<std::string>{"id", "type", "payload", "priority", "request_id",
                                                     "source_agent_id", "workspace_id", "timestamp"});
    CHECK(is_uuid(a.id()));
    CHECK(a.id()[14] == '4');
    CHECK(a.id() != b.id());
    CHECK(a.payload() == Json::object());
    REQUIRE(a.timestamp());
    CHECK(a.timestamp()->size() == 27);
    CHECK(normalize_timestamp(*a.timestamp()) == *a.timestamp());
}

TEST_CASE("create: context fields, priority, payload order and UTF-8 kept") {
    EnvelopeFields f = fields("model.inference_complete", Json::parse(R"({"z":1,"a":{"y":2,"b":3},"msg":"héllo ✓"})"));
    f.priority = Priority::critical;
    f.request_id = "corr-456";
    f.source_agent_id = "agent-7";
    f.workspace_id = "ws-123";
    f.timestamp = "2026-11-26T18:10:30.237319+02:00";  // normalised
    f.id = "custom id";
    Envelope e = Envelope::create(std::move(f));
    CHECK(e.dump() ==
          R"({"id":"custom id","type":"model.inference_complete","payload":{"z":1,"a":{"y":2,"b":3},"msg":"héllo ✓"},)"
          R"("priority":"critical","request_id":"corr-456","source_agent_id":"agent-7","workspace_id":"ws-123",)"
          R"("timestamp":"2026-11-26T16:10:30.237319Z"})");
    REQUIRE(e.request_id());
    CHECK(*e.request_id() == "corr-456");
    CHECK(*e.workspace_id() == "ws-123");
    CHECK(*e.source_agent_id() == "agent-7");
    CHECK(e.priority() == Priority::critical);
}

TEST_CASE("create: payload must be an object") {
    CHECK(create_error(fields("a.b", Json::array({1}))) == "payload must be a JSON object (got array)");
    CHECK(create_error(fields("a.b", 5)) == "payload must be a JSON object (got number)");
    CHECK(create_error(fields("a.b", "x")) == "payload must be a JSON object (got string)");
    CHECK(create_error(fields("a.b", true)) == "payload must be a JSON object (got boolean)");
    CHECK(create_error(fields("a.b", nullptr)) == "payload must be a JSON object (got null)");
    CHECK(create_error(fields("Bad", Json::array())).find("invalid event type") == 0);  // the type first
}

TEST_CASE("create: payload strings and keys must be UTF-8, nesting bounded") {
    CHECK(create_error(fields("a.b", Json{{"s", "\xff"}})) == "payload contains a string that is not valid UTF-8");
    CHECK(create_error(fields("a.b", Json{{"\xc0\xaf", 1}})) == "payload contains a key that is not valid UTF-8");
    auto nested = [](int levels) {  // `levels` objects, one inside the other
        Json j = Json::object();
        for (int i = 1; i < levels; ++i) j = Json{{"k", std::move(j)}};
        return j;
    };
    CHECK(create_error(fields("a.b", nested(100000))) == "payload nests too deep (more than 511 levels)");
    CHECK(create_error(fields("a.b", nested(512))) == "payload nests too deep (more than 511 levels)");
    // The deepest payload rbus publishes is one that read_envelope accepts.
    const std::string deepest = Envelope::create(fields("a.b", nested(511))).dump();
    CHECK(json_depth(deepest) == kMaxJsonDepth);
    CHECK(read_envelope(deepest).ok());
}

TEST_CASE("create: a given id is kept if non-empty, printable and at most 200 characters") {
    auto with_id = [](std::string id) {
        EnvelopeFields f = fields("a.b");
        f.id = std::move(id);
        return f;
    };
    CHECK(Envelope::create(with_id("ÉVT-1")).id() == "ÉVT-1");
    CHECK(create_error(with_id(std::string(200, 'x'))) == "");
    CHECK(create_error(with_id("")) == "invalid id: must not be empty");
    CHECK(create_error(with_id(std::string(201, 'x'))).find("longer than 200 characters") != std::string::npos);
    CHECK(create_error(with_id("a\tb")) == R"(invalid id "a\tb": contains a control character)");
    CHECK(create_error(with_id("a\xff")).find("not valid UTF-8") != std::string::npos);
}

TEST_CASE("create: context ids must be UTF-8, a given timestamp must parse") {
    EnvelopeFields f = fields("a.b");
    f.workspace_id = "ws\xff";
    CHECK(create_error(std::move(f)) == R"(invalid workspace_id "ws\ufffd": not valid UTF-8)");
    EnvelopeFields g = fields("a.b");
    g.timestamp = "tomorrow";
    CHECK(create_error(std::move(g)) ==
          R"(invalid timestamp "tomorrow": expected RFC 3339, like 2026-11-26T16:10:30.237319Z)");
}

TEST_CASE("dump never throws, even after json() was given invalid UTF-8") {
    Envelope e = Envelope::create(fields("a.b"));
    e.json()["payload"]["bad"] = "\xff\xfe";
    std::string out;
    CHECK_NOTHROW(out = e.dump());
    CHECK(out.find("\"bad\":\"\xef\xbf\xbd\xef\xbf\xbd\"") != std::string::npos);  // U+FFFD
}
