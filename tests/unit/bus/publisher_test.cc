#include <doctest/doctest.h>

#include <fmt/format.h>

#include "base/error.h"
#include "redis/fake_transport.h"
#include "bus/publisher.h"

using namespace rbus;
using rbus::testing::FakeTransport;

namespace {
Envelope publish_sample() {
    EnvelopeFields f;
    f.type = "agent.task_started";
    return Envelope::create(std::move(f));
}
}  // namespace

TEST_CASE("publish sends PUBLISH on {prefix}.{type} and returns the receivers; metrics INCR in the same write") {
    auto t = std::make_unique<FakeTransport>();
    FakeTransport* fake = t.get();
    fake->chunks = {":2\r\n:7\r\n"};
    Connection conn(std::move(t));
    Context ctx;
    PublishOptions po;
    po.record_metrics = true;
    Envelope env = publish_sample();
    CHECK(Publisher(conn, ctx, po).publish(env) == 2);
    std::string body = env.dump();
    std::string expected = fmt::format("*3\r\n$7\r\nPUBLISH\r\n$36\r\nraptorflow.events.agent.task_started\r\n${}\r\n{}\r\n",
                                       body.size(), body) +
                           "*2\r\n$4\r\nINCR\r\n$62\r\nmetrics:channel:raptorflow.events.agent.task_started:published\r\n";
    CHECK(fake->sent == expected);
}

TEST_CASE("an error reply to PUBLISH is a ReplyError; no reply is a timeout") {
    {
        auto t = std::make_unique<FakeTransport>();
        t->chunks = {"-NOPERM no\r\n"};
        Connection conn(std::move(t));
        Context ctx;
        CHECK_THROWS_AS(Publisher(conn, ctx, {}).publish(publish_sample()), ReplyError);
    }
    {
        Connection conn(std::make_unique<FakeTransport>());
        Context ctx;
        ctx.connect.reply_timeout = std::chrono::milliseconds(20);
        CHECK_THROWS_AS(Publisher(conn, ctx, {}).publish(publish_sample()), TimeoutError);
    }
}
