#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>

#include "event/envelope_fixtures.h"
#include "base/text_width.h"
#include "tail/strip_sgr.h"
#include "tail/tail_format.h"

using namespace rbus;

namespace {

struct Utc {
    Utc() {
        setenv("TZ", "UTC", 1);
        tzset();
    }
};

std::string tail_render(const EventFormatter& f, const Envelope& e) {
    BusMessage m{"raptorflow.events.x", "", ""};
    std::string out;
    rbus::testing::ReadView v(e);
    f.format({m, v, std::chrono::system_clock::now()}, out);
    return out;
}

Envelope make(std::string type, const char* payload, Priority prio = Priority::high,
              std::optional<std::string> corr = "corr-456", std::string ts = "2026-11-26T16:10:30.237319Z") {
    EnvelopeFields f;
    f.type = std::move(type);
    f.payload = Json::parse(payload);
    f.priority = prio;
    f.workspace_id = "ws-123";
    f.request_id = std::move(corr);
    f.timestamp = std::move(ts);
    return Envelope::create(f);
}

Envelope tail_sample() { return make("agent.task_started", R"({"agent_id":"RES-001","detail":"on and on and on and on"})"); }

}  // namespace

TEST_CASE("piped: the full line, never cut, no colour") {
    Utc utc;
    std::string line = tail_render(*make_tail_line_formatter({}), tail_sample());
    CHECK(line == "16:10:30.237 high     agent.task_started  ws=ws-123 corr=corr-456  "
                  R"({"agent_id":"RES-001","detail":"on and on and on and on"})");
    Envelope bare = make("x.y", "{}", Priority::normal, std::nullopt);
    bare.json()["workspace_id"] = nullptr;
    CHECK(tail_render(*make_tail_line_formatter({}), bare) == "16:10:30.237 normal   x.y  ws=- corr=-  {}");
}

TEST_CASE("on a terminal the payload is cut to the width, counting columns") {
    Utc utc;
    Envelope e = make("agent.task_started", R"({"text":"日本語のテキストがとても長く続きます、まだまだ続きます、まだまだ"})");
    for (int width : {120, 121, 130}) {
        std::string line = tail_render(*make_tail_line_formatter({false, width, false}), e);
        CHECK(display_width(line) <= width);
        CHECK(display_width(line) >= width - 1);  // a wide character may leave one column
        CHECK(line.find("…") != std::string::npos);
        CHECK(line.rfind("16:10:30.237 high     agent.task_started        ws=ws-123 corr=corr-456  {\"text\":", 0) == 0);
    }
    // Wide enough: the whole line, the type padded to 24 columns.
    std::string roomy = tail_render(*make_tail_line_formatter({false, 200, false}), e);
    CHECK(roomy == "16:10:30.237 high     agent.task_started        ws=ws-123 corr=corr-456  "
                   "{\"text\":\"日本語のテキストがとても長く続きます、まだまだ続きます、まだまだ\"}");
}

TEST_CASE("a narrow terminal gives up columns by width and never wraps") {
    Utc utc;
    Envelope e = make("agent.task_started", R"({"agent_id":"RES-001"})", Priority::critical,
                      "6f1c2b9e-2d4a-4f7e-9c1a-0b5e8d7f3a21");
    auto at = [&](int width) { return tail_render(*make_tail_line_formatter({false, width, false}), e); };
    CHECK(at(160) == "16:10:30.237 critical agent.task_started        ws=ws-123 corr=6f1c2b9e-2d4a-4f7e-9c1a-0b5e8d7f3a21  "
                     "{\"agent_id\":\"RES-001\"}");
    // At 120 the UUID is shortened before the payload is squeezed out.
    CHECK(at(120) == "16:10:30.237 critical agent.task_started        ws=ws-123 corr=6f1c2b9e…  {\"agent_id\":\"RES-001\"}");
    CHECK(at(100) == "16:10:30.237 critical agent.task_started        ws=ws-123 corr=6f1c2b9e…  {\"agent_id\":\"RES-001\"}");
    CHECK(at(80) == "16:10:30.237 crit agent.task_started  corr=6f1c2b9e…  {\"agent_id\":\"RES-001\"}");
    CHECK(at(60) == "16:10:30.237 crit agent.task_started  {\"agent_id\":\"RES-001\"}");
    CHECK(at(40) == "16:10:30 crit agent.task_started  {\"age…");
    CHECK(at(20) == "16:10:30 crit agent…");
    for (int width = 10; width <= 130; ++width)
        CHECK(display_width(strip_sgr(tail_render(*make_tail_line_formatter({true, width, false}), e))) <= width);
    // Without the correlation column, the time carries the flow's colour.
    std::string coloured = tail_render(*make_tail_line_formatter({true, 60, false}), e);
    CHECK(coloured.rfind("\x1b[" + std::string(correlation_color("6f1c2b9e-2d4a-4f7e-9c1a-0b5e8d7f3a21")) +
                             "m16:10:30.237\x1b[0m", 0) == 0);
}

TEST_CASE("colour: alarms stand out, a correlation id keeps its colour") {
    Utc utc;
    auto f = make_tail_line_formatter({true, 0, false});
    std::string failed = tail_render(*f, make("agent.task_failed", "{}", Priority::normal));
    CHECK(failed.find("\x1b[1;31magent.task_failed\x1b[0m") != std::string::npos);
    std::string error = tail_render(*f, make("model.error", "{}", Priority::low));
    CHECK(error.find("\x1b[1;31mmodel.error\x1b[0m") != std::string::npos);
    CHECK(is_alarming("normal", "agent.error"));
    CHECK(is_alarming("low", "workflow.step-failed"));
    CHECK(is_alarming("critical", "agent.task_started"));
    CHECK_FALSE(is_alarming("high", "agent.error_budget"));
    CHECK_FALSE(is_alarming("high", "agent.terror"));
    std::string critical = tail_render(*f, make("agent.task_started", "{}", Priority::critical));
    CHECK(critical.find("\x1b[1;31mcritical") != std::string::npos);
    std::string calm = tail_render(*f, make("agent.task_started", "{}", Priority::normal));
    CHECK(calm.find("1;31") == std::string::npos);
    CHECK(strip_sgr(calm) == tail_render(*make_tail_line_formatter({}), make("agent.task_started", "{}", Priority::normal)));

    std::string colour(correlation_color("corr-456"));
    CHECK(calm.find("\x1b[" + colour + "mcorr-456") != std::string::npos);
    // Stable: the palette index is FNV-1a of the id, the same on every run.
    CHECK(correlation_color("corr-456") == correlation_color(std::string("corr-") + "456"));
    CHECK(correlation_color("") == "32");  // 2166136261 % 6 == 1
    int distinct = 0;
    std::string seen;
    for (int i = 0; i < 60; ++i) {
        std::string c(correlation_color("flow-" + std::to_string(i)));
        if (seen.find("|" + c + "|") == std::string::npos) seen += "|" + c + "|", ++distinct;
    }
    CHECK(distinct == 6);
}

TEST_CASE("--trace adds the time since the flow's first event") {
    Utc utc;
    auto f = make_tail_line_formatter({false, 0, true});
    CHECK(tail_render(*f, make("flow.start", "{}", Priority::normal, "c1", "2026-11-26T16:10:30.000000Z")) ==
          "16:10:30.000 normal   flow.start  ws=ws-123 corr=c1 +0.000s  {}");
    CHECK(tail_render(*f, make("flow.done", "{}", Priority::normal, "c1", "2026-11-26T16:10:31.250000Z")) ==
          "16:10:31.250 normal   flow.done  ws=ws-123 corr=c1 +1.250s  {}");
}

TEST_CASE("control characters in fields never reach the terminal") {
    Utc utc;
    Envelope e = make("x.y", R"({"a":"\u001b[2J"})");
    e.json()["workspace_id"] = "ws\x1b]0;pwned\x07";
    std::string line = tail_render(*make_tail_line_formatter({}), e);
    CHECK(line.find('\x1b') == std::string::npos);
    CHECK(line.find('\x07') == std::string::npos);
    CHECK(line.find("ws=ws\\u001b]0;pwned\\u0007") != std::string::npos);
}

TEST_CASE("marker lines: dim on a terminal, plain when piped") {
    CHECK(tail_marker_line("-- reconnected --", {}) == "-- reconnected --");
    CHECK(tail_marker_line("-- reconnected --", {true, 0, false}) == "\x1b[2m-- reconnected --\x1b[0m");
    CHECK(tail_marker_line("-- reconnected after 2.31s --", {false, 10, false}) == "-- reconn…");
}

TEST_CASE("local_clock") {
    Utc utc;
    auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'764'173'430'237));
    CHECK(local_clock(t) == "16:10:30.237");
    CHECK(local_clock(t, false) == "16:10:30");
}
