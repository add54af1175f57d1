#include <doctest/doctest.h>

#include "redis/connection.h"
#include "base/error.h"
#include "redis/fake_transport.h"

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

TEST_CASE("append_resp writes what redisFormatCommandArgv writes") {
    std::string binary("x\r\n\0y", 5);
    std::string big(100000, 'b');
    std::vector<std::string_view> args = {"PUBLISH", "raptorflow.events.a.b", binary, "", big};
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (auto a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    char* cmd = nullptr;
    int len = redisFormatCommandArgv(&cmd, static_cast<int>(args.size()), argv.data(), lens.data());
    REQUIRE(len > 0);
    std::string expected(cmd, static_cast<std::size_t>(len));
    redisFreeCommand(cmd);
    std::string out;
    append_resp(out, args.data(), args.size());
    CHECK(out == expected);
}

TEST_CASE("read_integer_reply: integers and errors without a redisReply, mixed with read_reply") {
    auto t = std::make_unique<FakeTransport>();
    t->chunks = {":1", "2\r\n-ERR no\r\n:-3\r", "\n+OK\r\n:7\r\n$3\r\nabc\r\n"};
    Connection c(std::move(t));
    auto a = c.read_integer_reply(std::nullopt);
    REQUIRE(a);
    CHECK_FALSE(a->error);
    CHECK(a->value == 12);
    auto e = c.read_integer_reply(std::nullopt);
    REQUIRE(e);
    CHECK(e->error);
    CHECK(e->text == "ERR no");
    auto n = c.read_integer_reply(std::nullopt);
    REQUIRE(n);
    CHECK(n->value == -3);
    Reply ok = c.read_reply(std::nullopt);  // the bytes read ahead stay for the next reply
    REQUIRE(ok);
    CHECK(reply_text(ok.get()) == "OK");
    auto seven = c.read_integer_reply(std::nullopt);  // and back
    REQUIRE(seven);
    CHECK(seven->value == 7);
    CHECK_THROWS_AS(c.read_integer_reply(std::nullopt), ProtocolError);  // a bulk string is not an integer
    CHECK_FALSE(Connection(std::make_unique<FakeTransport>()).read_integer_reply(std::nullopt));
}

TEST_CASE("a deferred reply with a bound: a silent server is a TimeoutError within the bound") {
    using namespace std::chrono_literals;
    auto t = std::make_unique<FakeTransport>();
    t->frozen = true;
    Connection c(std::move(t));
    bool checked = false;
    c.defer_reply([&](const redisReply&) { checked = true; }, 50ms);
    auto start = Clock::now();
    // The caller would wait 10 s; the bound (the connect timeout) ends it first.
    CHECK_THROWS_WITH_AS(c.read_reply(deadline_after(10s)), "no reply from fake:0 within 50ms", TimeoutError);
    CHECK(Clock::now() - start < 5s);
    CHECK_FALSE(checked);
}

TEST_CASE("a deferred reply with a bound: the caller's shorter deadline is a plain timeout") {
    using namespace std::chrono_literals;
    auto t = std::make_unique<FakeTransport>();
    t->frozen = true;
    Connection c(std::move(t));
    c.defer_reply([](const redisReply&) {}, 10s);
    CHECK_FALSE(c.read_reply(deadline_after(20ms)));
}

TEST_CASE("a deferred reply that comes is checked before the next reply is returned") {
    using namespace std::chrono_literals;
    auto t = std::make_unique<FakeTransport>();
    t->chunks = {"+OK\r\n:3\r\n"};
    Connection c(std::move(t));
    std::string seen;
    c.defer_reply([&](const redisReply& r) { seen = std::string(reply_text(&r)); }, 50ms);
    Reply r = c.read_reply(deadline_after(1s));
    REQUIRE(r);
    CHECK(seen == "OK");
    CHECK(r->integer == 3);
}

TEST_CASE("read_integer_reply after a read_reply that stopped mid-reply: the reply is finished, not misread") {
    using namespace std::chrono_literals;
    auto t = std::make_unique<FakeTransport>();
    FakeTransport* transport = t.get();
    t->chunks = {"$4\r\n"};
    t->frozen = true;
    Connection c(std::move(t));
    CHECK_FALSE(c.read_reply(deadline_after(20ms)));  // half a reply in the reader
    transport->chunks = {":9\r\n\r\n"};  // the bulk string's bytes look like an integer reply
    // The bulk string is not an integer: a ProtocolError, not the 9 inside it.
    CHECK_THROWS_AS(c.read_integer_reply(deadline_after(1s)), ProtocolError);

    auto t2 = std::make_unique<FakeTransport>();
    FakeTransport* transport2 = t2.get();
    t2->chunks = {":4"};
    t2->frozen = true;
    Connection c2(std::move(t2));
    CHECK_FALSE(c2.read_reply(deadline_after(20ms)));
    transport2->chunks = {"2\r\n-ERR x\r\n"};
    auto v = c2.read_integer_reply(deadline_after(1s));
    REQUIRE(v);
    CHECK(v->value == 42);
    auto e = c2.read_integer_reply(deadline_after(1s));
    REQUIRE(e);
    CHECK(e->error);
    CHECK(e->text == "ERR x");
}

TEST_CASE("a reply past the bound is ReplyTooLarge; skip_frame reads past it and the next reply comes whole") {
    // An array of 40 bulk strings of 100 bytes (about 4.4 kB) against a 1 kB
    // bound, arriving in pieces, then a small reply.
    std::string big = "*40\r\n";
    for (int i = 0; i < 40; ++i) big += "$100\r\n" + std::string(100, static_cast<char>('a' + i % 26)) + "\r\n";
    auto t = std::make_unique<FakeTransport>();
    for (std::size_t at = 0; at < big.size(); at += 333) t->chunks.push_back(big.substr(at, 333));
    t->chunks.push_back("+AFTER\r\n");
    Connection c(std::move(t));
    c.set_max_reply_bytes(1024);
    CHECK_THROWS_AS(c.read_reply(std::nullopt), ReplyTooLarge);
    c.skip_frame(std::nullopt);
    Reply after = c.read_reply(std::nullopt);
    REQUIRE(after);
    CHECK(reply_text(after.get()) == "AFTER");
}

TEST_CASE("skip_frame: one element past the bound alone is a ProtocolError, not skipped") {
    auto t = std::make_unique<FakeTransport>();
    t->chunks = {"*2\r\n$5\r\nsmall\r\n$5000\r\n", std::string(2000, 'x'), std::string(3000, 'x') + "\r\n"};
    Connection c(std::move(t));
    c.set_max_reply_bytes(1024);
    CHECK_THROWS_AS(c.read_reply(std::nullopt), ReplyTooLarge);
    CHECK_THROWS_WITH_AS(c.skip_frame(std::nullopt), "a reply from fake:0 holds a value larger than 1024 bytes: not read",
                         ProtocolError);
}
