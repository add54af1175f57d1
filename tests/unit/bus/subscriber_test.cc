#include <doctest/doctest.h>

#include "base/error.h"
#include "bus/subscriber.h"

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
