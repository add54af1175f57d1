#include <doctest/doctest.h>

#include "format.h"

using namespace rbus;

namespace {
std::string render(const EventFormatter& f, const Envelope& e) {
    BusMessage m{"raptorflow.events.x", "", ""};
    std::string out;
    f.format({m, e, std::chrono::system_clock::now()}, out);
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

TEST_CASE("tail line: time, priority, type, workspace, correlation, payload") {
    setenv("TZ", "UTC", 1);
    tzset();
    std::string line = render(*make_tail_formatter({false, 0}), sample());
    CHECK(line == "16:10:30.237 high     agent.task_started  ws=ws-123 corr=corr-456  "
                  "{\"agent_id\":\"RES-001\",\"detail\":\"a long text that goes on and on and on and on and on\"}");
    std::string cut = render(*make_tail_formatter({false, 80}), sample());
    CHECK(cut.size() <= 80 + 2);  // the ellipsis is 3 bytes, 1 column
    CHECK(cut.substr(cut.size() - 3) == "…");
    std::string coloured = render(*make_tail_formatter({true, 0}), sample());
    CHECK(coloured.find("\x1b[") != std::string::npos);
}
