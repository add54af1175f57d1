// The consume loop (bus/consumer.h) over a Subscriber whose connections are
// FakeTransports, on a clock that the test moves: reconnect, PING, idle,
// deadline and signals without a server and without waiting.
#include <doctest/doctest.h>

#include <csignal>
#include <deque>
#include <string>
#include <vector>

#include "base/error.h"
#include "bus/consumer.h"
#include "bus/subscriber.h"
#include "redis/fake_transport.h"

using namespace rbus;
using namespace std::chrono_literals;
using rbus::testing::FakeTransport;

namespace {

const std::string kChannel = "raptorflow.events.agent.x";

std::string bulk(std::string_view s) { return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n"; }
std::string confirmation() { return "*3\r\n" + bulk("subscribe") + bulk(kChannel) + ":1\r\n"; }
std::string message(std::string_view data) { return "*3\r\n" + bulk("message") + bulk(kChannel) + bulk(data); }

// A server connection: scripted bytes, then silence (or a drop). With
// answer_pings, a PING written to it is answered as Redis does in subscribe mode.
class ServerScript : public FakeTransport {
public:
    bool answer_pings = false;
    void write_all(std::string_view data, Deadline d) override {
        FakeTransport::write_all(data, d);
        if (answer_pings && data.find("PING") != std::string_view::npos)
            chunks.push_back("*2\r\n" + bulk("pong") + bulk(""));
    }
};

// Time that passes only when the loop looks at it (each now() is 10 ms
// later) or sleeps (to the end of the sleep), and a signal the test raises.
struct FakeTime {
    Clock::time_point t = Clock::now();
    Clock::time_point start = t;
    int signal = 0;
    LoopClock clock() {
        return LoopClock{[this] { return t += 10ms; }, [this](Clock::time_point until) { t = std::max(t, until); },
                         [this] { return signal; }};
    }
    std::chrono::milliseconds elapsed() const { return std::chrono::duration_cast<std::chrono::milliseconds>(t - start); }
};

// A connection's end of a ServerScript that the test keeps (to read what was sent).
class Borrowed : public Transport {
public:
    explicit Borrowed(ServerScript& s) : s_(s) {}
    void write_all(std::string_view data, Deadline d) override { s_.write_all(data, d); }
    std::size_t read_some(char* buf, std::size_t len, Deadline d) override { return s_.read_some(buf, len, d); }
    std::string peer() const override { return s_.peer(); }

private:
    ServerScript& s_;
};

// The connections the server gives, one per connect, in order; a refused one
// is a ConnectError.
struct Server {
    std::deque<std::unique_ptr<ServerScript>> scripts;  // nullptr: refused
    std::vector<std::unique_ptr<ServerScript>> opened;
    int connects = 0;

    ServerScript& next(std::vector<std::string> chunks, bool drop_after) {
        auto s = std::make_unique<ServerScript>();
        s->chunks.assign(chunks.begin(), chunks.end());
        s->closed_after = drop_after;
        scripts.push_back(std::move(s));
        return *scripts.back();
    }
    void refuse() { scripts.push_back(nullptr); }

    SubscriberConnector connector() {
        return [this]() -> std::unique_ptr<BusSubscriber> {
            ++connects;
            REQUIRE_FALSE(scripts.empty());
            std::unique_ptr<ServerScript> s = std::move(scripts.front());
            scripts.pop_front();
            if (!s) throw ConnectError("connection refused");
            opened.push_back(std::move(s));
            ServerScript& script = *opened.back();
            auto sub = std::make_unique<Subscriber>(ConnectOptions{}, "test", std::vector{Subscription{kChannel, false}},
                                                    [&script] {
                                                        return std::make_unique<Connection>(
                                                            std::make_unique<Borrowed>(script));
                                                    });
            sub->start();
            return sub;
        };
    }
};

// What the handlers saw.
struct Seen {
    std::vector<std::string> events;
    int bursts = 0;
    std::vector<std::chrono::milliseconds> gaps;
    ConsumeHandlers handlers() {
        ConsumeHandlers h;
        h.on_event = [this](const ReceivedEvent& ev) {
            events.emplace_back(ev.message.data);
            return true;
        };
        h.on_burst = [this] { ++bursts; };
        h.on_reconnect = [this](std::chrono::milliseconds gap) { gaps.push_back(gap); };
        return h;
    }
};

ConsumeOptions options() {
    ConsumeOptions o;
    o.ping_interval = 0ms;  // each test turns on what it is about
    o.backoff = {100ms, 1000ms, 2.0};
    return o;
}

}  // namespace

TEST_CASE("consume: events arrive in order and --count ends the run with 0") {
    Server server;
    server.next({confirmation(), message("a") + message("b"), message("c")}, false);
    FakeTime time;
    Seen seen;
    ConsumeOptions o = options();
    o.count = 3;
    ConsumeStats stats;
    CHECK(consume(server.connector(), o, seen.handlers(), &stats, time.clock()) == kExitOk);
    CHECK(seen.events == std::vector<std::string>{"a", "b", "c"});
    CHECK(stats.received == 3);
    CHECK(stats.matched == 3);
    CHECK(server.connects == 1);
}

TEST_CASE("consume: a dropped connection is reconnected and the gap reported; events after it arrive") {
    Server server;
    server.next({confirmation(), message("before")}, true);
    server.next({confirmation(), message("after")}, false);
    FakeTime time;
    Seen seen;
    ConsumeOptions o = options();
    o.count = 2;
    ConsumeStats stats;
    CHECK(consume(server.connector(), o, seen.handlers(), &stats, time.clock()) == kExitOk);
    CHECK(seen.events == std::vector<std::string>{"before", "after"});
    CHECK(server.connects == 2);
    CHECK(stats.reconnects == 1);
    CHECK(seen.gaps.size() == 1);
    // The second connection subscribed again.
    CHECK(server.opened[1]->sent.find("SUBSCRIBE") != std::string::npos);
}

TEST_CASE("consume: a refused reconnect attempt is retried after a backoff") {
    Server server;
    server.next({confirmation()}, true);
    server.refuse();
    server.refuse();
    server.next({confirmation(), message("back")}, false);
    FakeTime time;
    Seen seen;
    ConsumeOptions o = options();
    o.count = 1;
    ConsumeStats stats;
    CHECK(consume(server.connector(), o, seen.handlers(), &stats, time.clock()) == kExitOk);
    CHECK(server.connects == 4);
    CHECK(stats.reconnects == 1);
    CHECK(seen.events == std::vector<std::string>{"back"});
}

TEST_CASE("consume: with reconnecting off, a dropped connection ends the run with the loss") {
    Server server;
    server.next({confirmation(), message("a")}, true);
    FakeTime time;
    Seen seen;
    ConsumeOptions o = options();
    o.reconnect = false;
    CHECK_THROWS_WITH_AS(consume(server.connector(), o, seen.handlers(), nullptr, time.clock()),
                         "connection to the bus lost: connection closed by the server", IoError);
    CHECK(seen.events == std::vector<std::string>{"a"});
    CHECK(server.connects == 1);
}

TEST_CASE("consume: a connection that does not answer PING within the interval is lost") {
    Server server;
    ServerScript& silent = server.next({confirmation()}, false);
    FakeTime time;
    Seen seen;
    ConsumeOptions o = options();
    o.ping_interval = 1s;
    o.reconnect = false;
    CHECK_THROWS_WITH_AS(consume(server.connector(), o, seen.handlers(), nullptr, time.clock()),
                         "connection to the bus lost: no reply to PING within 1.00s", IoError);
    CHECK(silent.sent.find("PING") != std::string::npos);
    CHECK(time.elapsed() >= 2s);  // one interval of silence, then one more waiting for the reply
}

TEST_CASE("consume: a connection that answers PING stays up until the deadline") {
    Server server;
    ServerScript& live = server.next({confirmation()}, false);
    live.answer_pings = true;
    FakeTime time;
    Seen seen;
    ConsumeOptions o = options();
    o.ping_interval = 1s;
    o.timeout = 10s;
    ConsumeStats stats;
    CHECK(consume(server.connector(), o, seen.handlers(), &stats, time.clock()) == kExitOk);
    CHECK(stats.reconnects == 0);
    CHECK(server.connects == 1);
    CHECK(live.sent.find("PING") != std::string::npos);
}

TEST_CASE("consume: --idle ends the run with 0 once no event matched for that long") {
    Server server;
    server.next({confirmation(), message("a")}, false);
    FakeTime time;
    Seen seen;
    ConsumeOptions o = options();
    o.idle = 2s;
    o.count = 5;
    o.timeout = 60s;  // would end with 124
    ConsumeStats stats;
    CHECK(consume(server.connector(), o, seen.handlers(), &stats, time.clock()) == kExitOk);
    CHECK(seen.events == std::vector<std::string>{"a"});
    CHECK(time.elapsed() >= 2s);
    CHECK(time.elapsed() < 60s);
}

TEST_CASE("consume: --idle counts from the last matching event, not from any message") {
    Server server;
    server.next({confirmation(), message("a"), message("skip"), message("skip")}, false);
    FakeTime time;
    Seen seen;
    ConsumeHandlers h = seen.handlers();
    h.on_event = [&](const ReceivedEvent& ev) {
        seen.events.emplace_back(ev.message.data);
        return ev.message.data != "skip";
    };
    ConsumeOptions o = options();
    o.idle = 2s;
    ConsumeStats stats;
    CHECK(consume(server.connector(), o, h, &stats, time.clock()) == kExitOk);
    CHECK(stats.received == 3);
    CHECK(stats.matched == 1);
}

TEST_CASE("consume: --timeout before --count ends the run with 124 and says how far it got") {
    Server server;
    server.next({confirmation(), message("a")}, false);
    FakeTime time;
    Seen seen;
    ConsumeOptions o = options();
    o.timeout = 3s;
    o.count = 2;
    ConsumeStats stats;
    CHECK(consume(server.connector(), o, seen.handlers(), &stats, time.clock()) == kExitTimeout);
    CHECK(timeout_message(o, stats) == "timed out after 3s: 1 of 2 events");
    CHECK(time.elapsed() >= 3s);
}

TEST_CASE("consume: --timeout without --count ends the run with 0") {
    Server server;
    server.next({confirmation()}, false);
    FakeTime time;
    Seen seen;
    ConsumeOptions o = options();
    o.timeout = 3s;
    CHECK(consume(server.connector(), o, seen.handlers(), nullptr, time.clock()) == kExitOk);
    CHECK(time.elapsed() >= 3s);
}

TEST_CASE("consume: --timeout that comes during the replay's SCAN (RunTimedOut) ends the run, nothing more read") {
    for (bool count : {true, false}) {
        CAPTURE(count);
        Server server;
        server.next({confirmation(), message("live")}, false);
        FakeTime time;
        Seen seen;
        ConsumeHandlers h = seen.handlers();
        h.on_subscribed = [](const ConsumeHandlers::Deliver&) { throw RunTimedOut{}; };
        ConsumeOptions o = options();
        o.timeout = 3s;
        if (count) o.count = 1;
        CHECK(consume(server.connector(), o, h, nullptr, time.clock()) == (count ? kExitTimeout : kExitOk));
        CHECK(seen.events.empty());  // the live event after it is not read
        CHECK(seen.bursts == 1);     // what was written is flushed
    }
}

TEST_CASE("consume: the deadline also ends a run that is waiting to reconnect") {
    Server server;
    server.next({confirmation()}, true);
    for (int i = 0; i < 100; ++i) server.refuse();
    FakeTime time;
    Seen seen;
    ConsumeOptions o = options();
    o.timeout = 5s;
    o.count = 1;
    CHECK(consume(server.connector(), o, seen.handlers(), nullptr, time.clock()) == kExitTimeout);
    CHECK(server.connects > 1);
}

TEST_CASE("consume: SIGTERM ends the run with 143 after the burst is flushed") {
    Server server;
    server.next({confirmation(), message("a") + message("b"), message("never")}, false);
    FakeTime time;
    Seen seen;
    ConsumeHandlers h = seen.handlers();
    h.on_event = [&](const ReceivedEvent& ev) {
        seen.events.emplace_back(ev.message.data);
        if (ev.message.data == "b") time.signal = SIGTERM;
        return true;
    };
    ConsumeOptions o = options();
    CHECK(consume(server.connector(), o, h, nullptr, time.clock()) == kExitSigterm);
    CHECK(seen.events == std::vector<std::string>{"a", "b"});
    CHECK(seen.bursts >= 1);
}

TEST_CASE("consume: SIGINT while waiting to reconnect ends the run with 130") {
    Server server;
    server.next({confirmation()}, true);
    for (int i = 0; i < 100; ++i) server.refuse();
    FakeTime time;
    Seen seen;
    LoopClock clock = time.clock();
    clock.sleep_until = [&](Clock::time_point until) {
        time.t = std::max(time.t, until);
        if (server.connects >= 3) time.signal = SIGINT;
    };
    ConsumeOptions o = options();
    CHECK(consume(server.connector(), o, seen.handlers(), nullptr, clock) == kExitSigint);
    CHECK(server.connects == 3);
}

TEST_CASE("consume: a first connection that fails is the run's ConnectError, nothing retried") {
    Server server;
    server.refuse();
    FakeTime time;
    Seen seen;
    CHECK_THROWS_AS(consume(server.connector(), options(), seen.handlers(), nullptr, time.clock()), ConnectError);
    CHECK(server.connects == 1);
}
