#include <doctest/doctest.h>

#include "event/envelope.h"
#include "tail/tail_summary.h"

using namespace rbus;


TEST_CASE("summary: events by type and by priority") {
    TailSummary s;
    s.shown("agent.task_started", priority_name(Priority::normal));
    s.shown("agent.task_started", priority_name(Priority::normal));
    s.shown("agent.error", priority_name(Priority::critical));
    s.shown("agent.task_completed", priority_name(Priority::high));
    s.shown("agent.task_started", priority_name(Priority::low));
    s.invalid();
    TailSummary::Totals t;
    t.received = 8;
    t.reconnects = 1;
    t.elapsed = std::chrono::milliseconds(12'300);
    CHECK(s.render(t) ==
          "rbus-tail: 5 events in 12.30s (8 received, 2 filtered out, 1 invalid, 1 reconnect)\n"
          "by priority: critical 1, high 1, normal 2, low 1\n"
          "by type:\n"
          "  3  agent.task_started\n"
          "  1  agent.error\n"
          "  1  agent.task_completed\n");
}

TEST_CASE("summary of nothing is one line") {
    TailSummary s;
    CHECK(s.render({}) == "rbus-tail: 0 events in 0ms (0 received, 0 filtered out, 0 invalid, 0 reconnects)\n");
}

TEST_CASE("summary lists at most kMaxTypes types") {
    TailSummary s;
    for (std::size_t i = 0; i < TailSummary::kMaxTypes + 3; ++i)
        s.shown("t.n" + std::to_string(100 + i), "normal");
    std::string out = s.render({TailSummary::kMaxTypes + 3, 0, {}});
    CHECK(out.find("  3  (3 more types)\n") != std::string::npos);
    CHECK(out.find("t.n100") != std::string::npos);
    CHECK(out.find("t.n142") == std::string::npos);
}
