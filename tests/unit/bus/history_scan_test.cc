// The run's --timeout against a server that stalls: the SCANs of a replay wait
// for a reply no later than it (bus/history_scan.h), and so do the stream
// pages read while delivering (bus/history_cursor.h).
#include <doctest/doctest.h>

#include "base/error.h"
#include "bus/history_cursor.h"
#include "bus/history_scan.h"
#include "redis/fake_transport.h"

using namespace rbus;
using namespace std::chrono_literals;
using rbus::testing::FakeTransport;

namespace {

std::unique_ptr<Connection> silent_server() {
    auto t = std::make_unique<FakeTransport>();
    t->frozen = true;  // no reply: each read waits out its deadline
    return std::make_unique<Connection>(std::move(t));
}

}  // namespace

TEST_CASE("command_until: a stalled server ends the wait at the run's deadline (RunTimedOut), not the reply timeout") {
    auto conn = silent_server();
    const auto start = Clock::now();
    CHECK_THROWS_AS(command_until(*conn, {"SCAN", "0"}, 10s, Clock::now() + 50ms), RunTimedOut);
    CHECK(Clock::now() - start < 5s);  // far from the 10 s reply timeout
}

TEST_CASE("command_until: a reply timeout that comes first is still a TimeoutError") {
    auto conn = silent_server();
    CHECK_THROWS_AS(command_until(*conn, {"SCAN", "0"}, 50ms, Clock::now() + 10s), TimeoutError);
    auto again = silent_server();
    CHECK_THROWS_AS(command_until(*again, {"SCAN", "0"}, 50ms, std::nullopt), TimeoutError);
}

TEST_CASE("scan_keys: the run's deadline passed between two SCAN calls is RunTimedOut") {
    auto t = std::make_unique<FakeTransport>();
    t->chunks = {"*2\r\n$2\r\n17\r\n*1\r\n$5\r\nmsg:a\r\n"};  // a cursor that goes on
    Connection conn(std::move(t));
    std::vector<Reply> kept;
    CHECK_THROWS_AS(scan_keys(conn, "msg:*", "string", 10s, kept, Clock::now() - 1ms), RunTimedOut);
}

TEST_CASE("stream pages: a page the server does not send ends at the run's deadline (RunTimedOut naming the page)") {
    auto conn = silent_server();
    ReplayRange range;
    StreamPages pages(*conn, 10s, Clock::now() + 50ms);
    StreamCursor cursor(pages, "rbus:history:{c}", "c", "", range, 100, false);
    cursor.start();
    const auto start = Clock::now();
    try {
        cursor.first_page();
        FAIL("no RunTimedOut");
    } catch (const RunTimedOut& e) {
        CHECK(std::string(e.before) == "the server sent the replay's next history page");
    }
    CHECK(Clock::now() - start < 5s);  // far from the 10 s reply timeout

    auto again = silent_server();  // without a run deadline: the reply timeout, as before
    StreamPages plain(*again, 50ms);
    StreamCursor waits(plain, "rbus:history:{c}", "c", "", range, 100, false);
    waits.start();
    CHECK_THROWS_AS(waits.first_page(), TimeoutError);
}
