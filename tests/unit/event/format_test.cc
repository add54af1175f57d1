#include <doctest/doctest.h>

#include "event/envelope_fixtures.h"
#include "base/error.h"
#include "event/format.h"

using namespace rbus;

namespace {
std::string render(const EventFormatter& f, const Envelope& e) {
    BusMessage m{"raptorflow.events.x", "", ""};
    std::string out;
    rbus::testing::ReadView v(e);
    f.format({m, v, std::chrono::system_clock::now()}, out);
    return out;
}
Envelope sample() {
    EnvelopeFields f;
    f.type = "agent.task_started";
    f.payload = Json::parse(R"({"agent_id":"RES-001","detail":"a long text that goes on and on and on and on and on"})");
    f.priority = Priority::high;
    f.workspace_id = "ws-123";
    f.request_id = "corr-456";
    f.timestamp = "2026-11-26T16:10:30.237319Z";
    return Envelope::create(f);
}
}  // namespace

TEST_CASE("json formatter prints the envelope as dumped") {
    Envelope e = sample();
    CHECK(render(*make_json_formatter(false), e) == e.dump());
    CHECK(render(*make_json_formatter(true), e).find("\x1b[") != std::string::npos);
}

TEST_CASE("--format picks a formatter once; unknown names are usage errors") {
    Envelope e = sample();
    CHECK(render(*make_formatter("json", false), e) == e.dump());
    CHECK(render(*make_formatter("payload", false), e) ==
          R"({"agent_id":"RES-001","detail":"a long text that goes on and on and on and on and on"})");
    CHECK(render(*make_formatter("{type}", false), e) == "agent.task_started");
    CHECK_THROWS_AS(make_formatter("yaml", false), UsageError);
    CHECK(is_raw_format("raw"));
}

TEST_CASE("pretty is indented JSON that parses back to the envelope") {
    Envelope e = sample();
    std::string out = render(*make_pretty_formatter(false), e);
    CHECK(out.substr(0, 10) == "{\n  \"id\": ");
    CHECK(Json::parse(out) == e.json());
    CHECK(out.find("\x1b[") == std::string::npos);
    EnvelopeFields f;
    f.type = "a.b";
    std::string empty = render(*make_pretty_formatter(false), Envelope::create(f));
    CHECK(empty.find("\"payload\": {},") != std::string::npos);
    CHECK(render(*make_pretty_formatter(true), e).find("\x1b[") != std::string::npos);
}

TEST_CASE("raw prints the bytes as received") {
    Envelope e = sample();
    BusMessage m{"ch", "{\"type\":\"a.b\",  \"x\" : 1}", ""};
    std::string out;
    rbus::testing::ReadView v(e);
    make_raw_formatter()->format({m, v, std::chrono::system_clock::now()}, out);
    CHECK(out == "{\"type\":\"a.b\",  \"x\" : 1}");
}

TEST_CASE("invalid record") {
    CHECK(invalid_record("raptorflow.events.junk", "not json", "not JSON") ==
          R"({"invalid":true,"channel":"raptorflow.events.junk","raw":"not json","error":"not JSON"})");
    CHECK(Json::parse(invalid_record("c", "\xff\xfe", "e"))["raw"] == "\xef\xbf\xbd\xef\xbf\xbd");
}
