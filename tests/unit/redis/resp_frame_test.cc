#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "base/error.h"
#include "redis/connection.h"
#include "redis/fake_transport.h"
#include "redis/resp_reader.h"

using namespace rbus;
using rbus::testing::FakeTransport;

namespace {
std::string meter_bulk(std::string_view s) { return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n"; }
// An XRANGE page of two entries, the second deleted, with CRLF inside a value.
std::string meter_page() {
    return "*2\r\n*2\r\n" + meter_bulk("1-0") + "*2\r\n" + meter_bulk("envelope") + meter_bulk("{\"a\":\"x\r\ny\"}") +
           "*2\r\n" + meter_bulk("2-0") + "*-1\r\n";
}
}  // namespace

TEST_CASE("an XRANGE page is measured as its bytes arrive, whatever the split") {
    const std::string page = meter_page();
    const std::string buffered = page + "+OK\r\n";  // the next reply already behind it
    RespScanner resumed;
    for (std::size_t cut = 0; cut <= page.size(); ++cut) {
        std::string_view part = std::string_view(buffered).substr(0, cut);
        CHECK(scan_frame(part).size == (cut == page.size() ? page.size() : 0));
        RespFrame f = resumed.scan(part);  // resumed where the previous cut stopped
        CHECK(f.size == (cut == page.size() ? page.size() : 0));
    }
    CHECK(scan_frame(buffered).size == page.size());
    for (std::string one : {"+OK\r\n", "-ERR no\r\n", ":5\r\n", "$-1\r\n", "*-1\r\n", "*0\r\n", "$0\r\n\r\n"})
        CHECK(scan_frame(one + "junk").size == one.size());
    for (std::string bad : {"?x\r\n", "$3\r\nabcd\r\n", "*x\r\n", ":1\rz\n", "*1\r\n!\r\n"})
        CHECK(scan_frame(bad).kind == RespFrame::Kind::malformed);
}

TEST_CASE("read_frame: whole replies as bytes, across reads, mixed with read_reply") {
    const std::string page = meter_page();
    auto t = std::make_unique<FakeTransport>();
    for (std::size_t at = 0; at < page.size(); at += 7) t->chunks.push_back(page.substr(at, 7));
    t->chunks.push_back(":42\r\n" + page.substr(0, 10));
    t->chunks.push_back(page.substr(10) + "+PONG\r\n");
    Connection conn(std::move(t));
    auto f = conn.read_frame(std::nullopt);
    REQUIRE(f);
    CHECK(*f == page);
    Reply r = conn.read_reply(std::nullopt);  // a reply after a frame is built as usual
    REQUIRE(r);
    CHECK(r->integer == 42);
    f = conn.read_frame(std::nullopt);
    REQUIRE(f);
    CHECK(*f == page);
    f = conn.read_frame(std::nullopt);
    REQUIRE(f);
    CHECK(*f == "+PONG\r\n");
    CHECK_FALSE(conn.read_frame(std::nullopt));  // nothing more: not yet
}
