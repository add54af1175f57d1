#include <doctest/doctest.h>

#include "event/envelope_fixtures.h"
#include "base/error.h"
#include "event/template.h"
#include "base/timestamp.h"

using namespace rbus;

namespace {
Envelope template_sample() {
    EnvelopeFields f;
    f.type = "agent.task_started";
    f.id = "0b6c2b9e-3f5a-4d8e-9a7b-1c2d3e4f5a6b";
    f.payload = Json::parse(R"({"agent_id":"RES-001","n":3,"nested":{"ok":true,"list":[1,"x"]},"none":null})");
    f.priority = Priority::high;
    f.workspace_id = "ws-123";
    f.timestamp = "2026-11-26T16:10:30.237319Z";
    return Envelope::create(f);
}
std::string render_template(std::string_view tmpl, std::chrono::system_clock::time_point at = {}) {
    Envelope e = template_sample();
    BusMessage m{"raptorflow.events.agent.task_started", "", ""};
    std::string out;
    rbus::testing::ReadView v(e);
    compile_template(tmpl)->format({m, v, at}, out);
    return out;
}
}  // namespace

TEST_CASE("envelope fields, strings unquoted, null as nothing") {
    CHECK(render_template("{type} {priority} {workspace_id} [{request_id}] {id}") ==
          "agent.task_started high ws-123 [] 0b6c2b9e-3f5a-4d8e-9a7b-1c2d3e4f5a6b");
    CHECK(render_template("{channel}") == "raptorflow.events.agent.task_started");
    CHECK(render_template("{timestamp}") == "2026-11-26T16:10:30.237319Z");
    CHECK(render_template("[{source_agent_id}]") == "[]");
}

TEST_CASE("payload and payload paths") {
    CHECK(render_template("{payload}") == R"({"agent_id":"RES-001","n":3,"nested":{"ok":true,"list":[1,"x"]},"none":null})");
    CHECK(render_template("{payload.agent_id}/{payload.n}/{payload.nested.ok}") == "RES-001/3/true");
    CHECK(render_template("{payload.nested.list}") == R"([1,"x"])");
    CHECK(render_template("{payload.nested.list.1}") == "x");
    CHECK(render_template("<{payload.missing.deep}><{payload.none}>") == "<><>");
}

TEST_CASE("escapes and literal braces") {
    CHECK(render_template("{type}\\t{priority}\\n") == "agent.task_started\thigh\n");
    CHECK(render_template("{{\"t\":\"{type}\"}}") == "{\"t\":\"agent.task_started\"}");
    CHECK(render_template("a\\\\b \\x") == "a\\b \\x");
}

TEST_CASE("received_at and lag_ms") {
    auto sent = *parse_timestamp("2026-11-26T16:10:30.237319Z");
    auto at = sent + std::chrono::microseconds(12345);
    CHECK(render_template("{received_at}", at) == "2026-11-26T16:10:30.249664Z");
    CHECK(render_template("{lag_ms}", at) == "12.345");
}

TEST_CASE("template errors are usage errors") {
    CHECK_THROWS_AS(compile_template("{nope}"), UsageError);
    CHECK_THROWS_AS(compile_template("{type"), UsageError);
    CHECK_THROWS_AS(compile_template("type}"), UsageError);
    CHECK_THROWS_AS(compile_template("{payload.}"), UsageError);
    CHECK_THROWS_AS(compile_template("{}"), UsageError);
    CHECK_THROWS_WITH(compile_template("{typo}"), doctest::Contains("unknown field {typo}"));
}

namespace {
std::string render_payload_field(std::string_view tmpl, const char* payload) {
    EnvelopeFields f;
    f.type = "agent.task_started";
    f.payload = Json::parse(payload);
    Envelope e = Envelope::create(f);
    BusMessage m{"raptorflow.events.agent.task_started", "", ""};
    std::string out;
    rbus::testing::ReadView v(e);
    compile_template(tmpl)->format({m, v, {}}, out);
    return out;
}
}  // namespace

TEST_CASE("a field from the bus cannot add a line or a column: escaped JSON-style") {
    const char* forged = R"({"agent_id":"a\n1\tforged\r\b\f\u001b[2J\\","rtl":"x\u202ey\u0085"})";
    CHECK(render_payload_field("{payload.agent_id}\t{type}", forged) ==
          "a\\n1\\tforged\\r\\b\\f\\u001b[2J\\\\\tagent.task_started");
    CHECK(render_payload_field("{payload.rtl}", forged) == "x\\u202ey\\u0085");
    // Objects are compact JSON: controls already escaped, bidi characters too.
    CHECK(render_payload_field("{payload}", R"({"a":"x\u202ey"})") == R"({"a":"x\u202ey"})");
}

TEST_CASE("{FIELD:raw} writes the string as it is") {
    const char* forged = R"({"agent_id":"a\nb\tc"})";
    CHECK(render_payload_field("{payload.agent_id:raw}", forged) == "a\nb\tc");
    CHECK(render_payload_field("{type:raw}", forged) == "agent.task_started");
    CHECK_THROWS_AS(compile_template("{nope:raw}"), UsageError);
}
