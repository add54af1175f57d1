#include <doctest/doctest.h>

#include <deque>
#include <string>
#include <vector>

#include "base/error.h"
#include "bus/subscriber.h"
#include "redis/fake_transport.h"

using namespace rbus;

TEST_CASE("types become channels under the prefix; globs become patterns") {
    Context ctx;
    auto subs = subscriptions_for(ctx, {"agent.task_started", "agent.*", "model.?", "x.[ab]"}, false);
    REQUIRE(subs.size() == 4);
    CHECK(subs[0].name == "raptorflow.events.agent.task_started");
    CHECK_FALSE(subs[0].pattern);
    CHECK(subs[1].name == "raptorflow.events.agent.*");
    CHECK(subs[1].pattern);
    CHECK(subs[2].pattern);
    CHECK(subs[3].pattern);
    auto all = subscriptions_for(ctx, {}, false);
    REQUIRE(all.size() == 1);
    CHECK(all[0].name == "raptorflow.events.*");
    CHECK(all[0].pattern);
    CHECK(subscriptions_for(ctx, {"a.b"}, true)[0].name == "raptorflow.events.*");
    ctx.prefix = "acme";
    CHECK(subscriptions_for(ctx, {"a.b"}, false)[0].name == "acme.a.b");
}

TEST_CASE("control characters and spaces in a type are usage errors") {
    Context ctx;
    CHECK_THROWS_AS(subscriptions_for(ctx, {"a.b\r\nPUBLISH x y"}, false), UsageError);
    CHECK_THROWS_AS(subscriptions_for(ctx, {"a b"}, false), UsageError);
    CHECK_THROWS_AS(subscriptions_for(ctx, {""}, false), UsageError);
}

// The Subscriber over a FakeTransport: frames read in place from its
// connection's buffer, whatever the reads cut.
namespace {

using rbus::testing::FakeTransport;

std::string sub_bulk(std::string_view s) { return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n"; }


// Subscribes to one channel and one pattern over `chunks`, then polls until the
// script runs out; every message as "pattern|channel|data".
std::vector<std::string> receive_messages(std::deque<std::string> chunks) {
    Subscriber sub(ConnectOptions{}, "test", {{"ch", false}, {"c*", true}}, [&] {
        auto t = std::make_unique<FakeTransport>();
        t->chunks = chunks;
        return std::make_unique<Connection>(std::move(t));
    });
    sub.start();
    std::vector<std::string> got;
    while (sub.poll(std::nullopt, [&](const BusMessage& m) {
        got.push_back(std::string(m.pattern) + "|" + std::string(m.channel) + "|" + std::string(m.data));
        return true;
    }) == BusSubscriber::Wake::messages) {
    }
    return got;
}

}  // namespace

TEST_CASE("subscriber: messages cut at every byte boundary arrive whole and in order; other frames are skipped") {
    const std::string stream = "*3\r\n" + sub_bulk("subscribe") + sub_bulk("ch") + ":1\r\n" +       //
                               "*3\r\n" + sub_bulk("message") + sub_bulk("ch") + sub_bulk("early") +  // before the 2nd confirmation
                               "*3\r\n" + sub_bulk("psubscribe") + sub_bulk("c*") + ":2\r\n" +    //
                               "*3\r\n" + sub_bulk("message") + sub_bulk("ch") + sub_bulk("{\"a\":\"x\r\ny\"}") +
                               "*2\r\n" + sub_bulk("pong") + sub_bulk("") +  //
                               "*4\r\n" + sub_bulk("pmessage") + sub_bulk("c*") + sub_bulk("cx") + sub_bulk("") +
                               ">3\r\n" + sub_bulk("message") + sub_bulk("ch") + sub_bulk("resp3");
    const std::vector<std::string> want = {"|ch|early", "|ch|{\"a\":\"x\r\ny\"}", "c*|cx|", "|ch|resp3"};
    CHECK(receive_messages({stream}) == want);
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        INFO("cut at ", cut);
        CHECK(receive_messages({stream.substr(0, cut), stream.substr(cut)}) == want);
    }
}

TEST_CASE("subscriber: an error frame is a lost connection, garbage a ProtocolError") {
    const std::string confirmed = "*3\r\n" + sub_bulk("subscribe") + sub_bulk("ch") + ":1\r\n" + "*3\r\n" +
                                  sub_bulk("psubscribe") + sub_bulk("c*") + ":2\r\n";
    auto poll_once = [&](std::string rest) {
        std::string all = confirmed + rest;
        receive_messages({all});
    };
    CHECK_THROWS_AS(poll_once("-ERR gone\r\n"), IoError);
    CHECK_THROWS_WITH_AS(poll_once("hello\r\n"), "protocol error from fake:0: a byte that starts no RESP type",
                         ProtocolError);
    CHECK_THROWS_WITH_AS(receive_messages({"-NOPERM no\r\n"}), "subscribe refused by fake:0: NOPERM no", ConnectError);
}

TEST_CASE("subscriber: a message past the bound is refused from its length header, one without a header once buffered") {
    const std::string confirmed = "*3\r\n" + sub_bulk("subscribe") + sub_bulk("ch") + ":1\r\n";
    auto receive = [&](std::deque<std::string> rest) {
        ConnectOptions options;
        options.max_reply_bytes = 1024;
        Subscriber sub(options, "test", {{"ch", false}}, [&] {
            auto t = std::make_unique<FakeTransport>();
            t->chunks = {confirmed};
            for (auto& c : rest) t->chunks.push_back(c);
            return std::make_unique<Connection>(std::move(t));
        });
        sub.start();
        int got = 0;
        while (sub.poll(std::nullopt, [&](const BusMessage&) { return ++got, true; }) ==
               BusSubscriber::Wake::messages) {
        }
        return got;
    };
    const std::string head = "*3\r\n" + sub_bulk("message") + sub_bulk("ch");
    // Only the header of a 2 GB message has arrived: refused without waiting for its body.
    CHECK_THROWS_WITH_AS(receive({head + "$2000000000\r\nxx"}), "a message from fake:0 is larger than 1024 bytes: not read",
                         ProtocolError);
    // A status line that never ends.
    CHECK_THROWS_WITH_AS(receive({"+" + std::string(700, 'a'), std::string(700, 'a')}),
                         "a message from fake:0 is larger than 1024 bytes: not read", ProtocolError);
    // At the bound, a message is read.
    std::string data(1024 - head.size() - 8, 'x');
    CHECK(receive({head + sub_bulk(data)}) == 1);
}
