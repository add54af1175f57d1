#include <doctest/doctest.h>

#include "connection.h"
#include "error.h"
#include "fake_transport.h"

using namespace rbus;
using rbus::testing::FakeTransport;

TEST_CASE("commands are formatted as binary-safe RESP and pipelined until flush") {
    auto t = std::make_unique<FakeTransport>();
    FakeTransport* fake = t.get();
    Connection c(std::move(t));
    std::string binary("a\r\nb\0c", 6);
    c.append({"PUBLISH", "ch", binary});
    c.append({"PING"});
    CHECK(fake->sent.empty());
    c.flush(std::nullopt);
    CHECK(fake->sent == std::string("*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$6\r\na\r\nb\0c\r\n*1\r\n$4\r\nPING\r\n", 51));
}

TEST_CASE("replies split across reads are reassembled in order") {
    auto t = std::make_unique<FakeTransport>();
    t->chunks = {":4", "2\r\n+PO", "NG\r\n"};
    Connection c(std::move(t));
    Reply a = c.read_reply(std::nullopt);
    REQUIRE(a);
    CHECK(a->type == REDIS_REPLY_INTEGER);
    CHECK(a->integer == 42);
    Reply b = c.read_reply(std::nullopt);
    REQUIRE(b);
    CHECK(reply_text(b.get()) == "PONG");
    CHECK_FALSE(c.read_reply(std::nullopt));  // nothing more: timeout, not an error
}

TEST_CASE("an error reply from command() is a ReplyError with the server's text") {
    auto t = std::make_unique<FakeTransport>();
    t->chunks = {"-WRONGPASS invalid username-password pair\r\n"};
    Connection c(std::move(t));
    CHECK_THROWS_WITH_AS(c.command({"AUTH", "x"}, std::chrono::milliseconds(100)),
                         "WRONGPASS invalid username-password pair", ReplyError);
}

TEST_CASE("a closed connection is an IoError (exit 3), garbage a ProtocolError") {
    auto t = std::make_unique<FakeTransport>();
    t->closed_after = true;
    Connection c(std::move(t));
    CHECK_THROWS_AS(c.read_reply(std::nullopt), IoError);

    auto g = std::make_unique<FakeTransport>();
    g->chunks = {"!garbage\r\n"};
    Connection c2(std::move(g));
    CHECK_THROWS_AS(c2.read_reply(std::nullopt), ProtocolError);
    try {
        Connection c3([] {
            auto x = std::make_unique<FakeTransport>();
            x->closed_after = true;
            return x;
        }());
        c3.read_reply(std::nullopt);
    } catch (const Error& e) {
        CHECK(e.exit_code() == 3);
    }
}
