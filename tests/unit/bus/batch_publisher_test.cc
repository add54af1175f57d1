#include <doctest/doctest.h>

#include <deque>
#include <string>
#include <vector>

#include "bus/batch_publisher.h"
#include "base/error.h"
#include "redis/fake_transport.h"

using namespace rbus;
using rbus::testing::FakeTransport;

namespace {

// The engine copies what add() is given: the bodies only have to outlive the call.
BatchEvent event(std::uint64_t line) {
    static std::deque<std::string> bodies;
    EnvelopeFields f;
    f.type = "agent.task_started";
    f.payload = Json{{"n", line}};
    bodies.push_back(Envelope::create(std::move(f)).dump());
    return BatchEvent{line, "raptorflow.events.agent.task_started", bodies.back()};
}

// Hands out scripted connections in order; a null script means "refused".
struct Servers {
    std::vector<FakeTransport*> made;
    std::vector<std::optional<std::deque<std::string>>> scripts;
    std::vector<bool> close_after;
    std::size_t next = 0;

    Connector connector() {
        return [this]() -> std::unique_ptr<Connection> {
            if (next >= scripts.size() || !scripts[next]) {
                ++next;
                throw ConnectError("cannot connect to fake:0: connection refused");
            }
            auto t = std::make_unique<FakeTransport>();
            t->chunks = *scripts[next];
            t->closed_after = close_after[next];
            made.push_back(t.get());
            ++next;
            return std::make_unique<Connection>(std::move(t));
        };
    }
    void add(std::optional<std::deque<std::string>> script, bool closed = false) {
        scripts.push_back(std::move(script));
        close_after.push_back(closed);
    }
};

struct Outcome {
    std::vector<std::uint64_t> published, failed;
    std::vector<std::string> reasons;
    std::vector<std::chrono::milliseconds> sleeps;
    BatchHandlers handlers() {
        return {[this](const BatchEvent& ev, long long) { published.push_back(ev.line); },
                [this](const BatchEvent& ev, const std::string& why) {
                    failed.push_back(ev.line);
                    reasons.push_back(why);
                }};
    }
    Sleeper sleeper() {
        return [this](std::chrono::milliseconds d) { sleeps.push_back(d); };
    }
};

std::size_t count_of(const std::string& hay, const std::string& needle) {
    std::size_t n = 0;
    for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
    return n;
}

BatchOptions fast() {
    BatchOptions o;
    o.reply_timeout = std::chrono::milliseconds(30);
    return o;
}

}  // namespace

TEST_CASE("events are pipelined: nothing waits for a reply until the end") {
    Servers s;
    s.add(std::deque<std::string>{":1\r\n:2\r\n:0\r\n:1\r\n:1\r\n"});
    Outcome o;
    BatchPublisher bp(s.connector(), fast(), o.handlers(), o.sleeper());
    bp.start();
    for (int i = 1; i <= 5; ++i) bp.add(event(i));
    CHECK(s.made[0]->sent.empty());  // still in the output buffer: one write for all
    bp.finish();
    CHECK(count_of(s.made[0]->sent, "PUBLISH") == 5);
    CHECK(o.published == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
    CHECK(bp.published() == 5);
    CHECK(bp.failed() == 0);
}

TEST_CASE("a full window waits for replies before sending more") {
    Servers s;
    s.add(std::deque<std::string>{":1\r\n:1\r\n:1\r\n"});
    Outcome o;
    BatchOptions opt = fast();
    opt.window_events = 2;
    BatchPublisher bp(s.connector(), opt, o.handlers(), o.sleeper());
    bp.start();
    bp.add(event(1));
    bp.add(event(2));
    CHECK(o.published.empty());
    bp.add(event(3));  // the window held 2: the first reply is read first
    CHECK(o.published == std::vector<std::uint64_t>{1});
    bp.finish();
    CHECK(o.published == std::vector<std::uint64_t>{1, 2, 3});
}

TEST_CASE("a lost connection is reopened and only the events without a reply are sent again") {
    Servers s;
    s.add(std::deque<std::string>{":1\r\n"}, /*closed=*/true);  // replies to event 1, then drops
    s.add(std::nullopt);                                          // first reconnect refused
    s.add(std::deque<std::string>{":1\r\n:1\r\n"});
    Outcome o;
    BatchPublisher bp(s.connector(), fast(), o.handlers(), o.sleeper());
    bp.start();
    for (int i = 1; i <= 3; ++i) bp.add(event(i));
    bp.finish();
    CHECK(o.published == std::vector<std::uint64_t>{1, 2, 3});
    CHECK(o.failed.empty());
    CHECK(bp.reconnects() == 1);
    REQUIRE(s.made.size() == 2);
    CHECK(count_of(s.made[1]->sent, "PUBLISH") == 2);
    CHECK(s.made[1]->sent.find("\"n\":1") == std::string::npos);
    REQUIRE(o.sleeps.size() == 2);  // capped exponential backoff
    CHECK(o.sleeps[1] == 2 * o.sleeps[0]);
}

TEST_CASE("after --retries failed reconnects, everything in flight and after is failed") {
    Servers s;
    s.add(std::deque<std::string>{}, /*closed=*/true);
    for (int i = 0; i < 5; ++i) s.add(std::nullopt);
    Outcome o;
    BatchOptions opt = fast();
    opt.retries = 4;
    opt.backoff_initial = std::chrono::milliseconds(500);
    opt.backoff_max = std::chrono::milliseconds(1500);
    BatchPublisher bp(s.connector(), opt, o.handlers(), o.sleeper());
    bp.start();
    bp.add(event(1));
    bp.add(event(2));
    bp.flush();  // the read finds the connection closed
    bp.add(event(3));
    bp.finish();
    CHECK(o.published.empty());
    CHECK(o.failed == std::vector<std::uint64_t>{1, 2, 3});
    CHECK(bp.failed() == 3);
    CHECK(o.reasons[0].find("after 4 reconnect attempt(s)") != std::string::npos);
    CHECK(o.sleeps == std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(500), std::chrono::milliseconds(1000),
                                                             std::chrono::milliseconds(1500), std::chrono::milliseconds(1500)});
}

TEST_CASE("no reply within the reply timeout counts as a lost connection") {
    Servers s;
    s.add(std::deque<std::string>{});  // silent
    s.add(std::deque<std::string>{":3\r\n"});
    Outcome o;
    BatchPublisher bp(s.connector(), fast(), o.handlers(), o.sleeper());
    bp.start();
    bp.add(event(1));
    bp.finish();
    CHECK(o.published == std::vector<std::uint64_t>{1});
    CHECK(bp.reconnects() == 1);
}

TEST_CASE("an error reply fails that event only; --record-metrics adds INCR in the same pipeline") {
    Servers s;
    s.add(std::deque<std::string>{":1\r\n:10\r\n-ERR no\r\n:11\r\n:0\r\n:12\r\n"});
    Outcome o;
    BatchOptions opt = fast();
    opt.record_metrics = true;
    BatchPublisher bp(s.connector(), opt, o.handlers(), o.sleeper());
    bp.start();
    for (int i = 1; i <= 3; ++i) bp.add(event(i));
    bp.finish();
    CHECK(o.published == std::vector<std::uint64_t>{1, 3});
    CHECK(o.failed == std::vector<std::uint64_t>{2});
    CHECK(o.reasons[0] == "fake:0 refused PUBLISH: ERR no");
    CHECK(count_of(s.made[0]->sent, "metrics:channel:raptorflow.events.agent.task_started:published") == 3);
}
