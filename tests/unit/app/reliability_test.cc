// Regression tests for what the fault suite and the fuzzers found: hostile
// text in logs, a publisher's stdout closed under it, and fuzz findings.
#include <doctest/doctest.h>

#include <unistd.h>

#include <string>

#include "event/envelope.h"
#include "json/json_scan.h"
#include "base/log.h"
#include "app/output.h"

using namespace rbus;

TEST_CASE("a log line escapes control characters from the bus") {
    Logger l;
    l.configure(LogLevel::info, LogFormat::text, "rbus-subscribe");
    CHECK(l.render(LogLevel::warn, "skipped invalid message on raptorflow.events.x\x1b[2J\rboom", {}) ==
          "WARN bus - skipped invalid message on raptorflow.events.x\\x1b[2J\\x0dboom\n");
    CHECK(l.render(LogLevel::info, "m", {{"workspace_id", "ws\r\nFLUSHALL"}}) ==
          "INFO bus - m workspace_id=ws\\x0d\\x0aFLUSHALL\n");
    CHECK(l.render(LogLevel::info, "caf\xc3\xa9 \x7f", {}) == "INFO bus - caf\xc3\xa9 \\x7f\n");
}

TEST_CASE("a publisher's stdout closed under it: output dropped, no StdoutClosed") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    ::close(fds[0]);  // the reader is gone (| head -1 has exited)
    {
        StdoutWriter out(fds[1]);
        out.keep_going_when_closed();
        out.line("{\"n\":1}");
        CHECK_NOTHROW(out.flush());
        out.line("{\"n\":2}");
        CHECK_NOTHROW(out.flush());
    }
    {
        StdoutWriter out(fds[1]);
        out.line("{\"n\":1}");
        CHECK_THROWS_AS(out.flush(), StdoutClosed);
    }
    ::close(fds[1]);
}

TEST_CASE("fuzz finding: a number out of double range passes the scanner, not the parser") {
    // json_scan_fuzz's first finding was in the target itself: nlohmann refuses
    // 213.2E2136 with out_of_range (406), not parse_error. The contract holds:
    // the scanner checks the grammar only, a reader refuses it in words.
    CHECK(jscan::scan("213.2E2136").has_value());
    ReadResult r = read_envelope(R"({"type":"a.b","payload":{"n":213.2E2136}})");
    CHECK_FALSE(r.ok());
    CHECK(r.error.find("number overflow") != std::string::npos);
}
