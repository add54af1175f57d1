#include <doctest/doctest.h>

#include "event/envelope_fixtures.h"
#include "base/error.h"
#include "event/filter.h"

using namespace rbus;

namespace {
Envelope event(const char* type, const char* payload, Priority prio = Priority::normal,
               std::optional<std::string> ws = std::nullopt, std::optional<std::string> corr = std::nullopt,
               std::optional<std::string> agent = std::nullopt) {
    EnvelopeFields f;
    f.type = type;
    f.payload = Json::parse(payload);
    f.priority = prio;
    f.workspace_id = std::move(ws);
    f.request_id = std::move(corr);
    f.source_agent_id = std::move(agent);
    return Envelope::create(f);
}
EventFilter compile(FilterOptions o, Context ctx = {}) { return EventFilter::compile(o, ctx); }
// The filter's verdict on the envelope as a consumer receives it.
bool pass(const EventFilter& f, const Envelope& e) {
    rbus::testing::ReadView v(e);
    return f.matches(v);
}
}  // namespace

TEST_CASE("field paths walk objects and arrays from the envelope root") {
    std::string doc = R"({"payload":{"a":{"b":7},"items":[10,20]},"priority":"high"})";
    CHECK(FieldPath::parse("payload.a.b").find_in_text(doc)->text == "7");
    CHECK(FieldPath::parse("payload.items.1").find_in_text(doc)->text == "20");
    CHECK_FALSE(FieldPath::parse("payload.items.2").find_in_text(doc));
    CHECK_FALSE(FieldPath::parse("payload.zz").find_in_text(doc));
    CHECK_FALSE(FieldPath::parse("priority.x").find_in_text(doc));
    CHECK_THROWS_AS(FieldPath::parse(""), UsageError);
    CHECK_THROWS_AS(FieldPath::parse("a..b"), UsageError);
    CHECK_THROWS_AS(FieldPath::parse("a."), UsageError);
}

TEST_CASE("an empty filter passes everything") {
    EventFilter f = compile({});
    CHECK(f.empty());
    CHECK(pass(f, event("a.b", "{}")));
}

TEST_CASE("workspace, correlation and source agent come from the context") {
    Context ctx;
    ctx.workspace_id = "ws-1";
    EventFilter f = compile({}, ctx);
    CHECK(pass(f, event("a.b", "{}", Priority::normal, "ws-1")));
    CHECK_FALSE(pass(f, event("a.b", "{}", Priority::normal, "ws-2")));
    CHECK_FALSE(pass(f, event("a.b", "{}")));  // null workspace is not ws-1
    ctx = {};
    ctx.correlation_id = "c-1";
    ctx.source_agent_id = "agent-7";
    f = compile({}, ctx);
    CHECK(pass(f, event("a.b", "{}", Priority::normal, std::nullopt, "c-1", "agent-7")));
    CHECK_FALSE(pass(f, event("a.b", "{}", Priority::normal, std::nullopt, "c-1", "agent-8")));
    CHECK_FALSE(pass(f, event("a.b", "{}", Priority::normal, std::nullopt, "c-2", "agent-7")));
}

TEST_CASE("--min-priority keeps that level and above") {
    FilterOptions o;
    o.min_priority = "high";
    EventFilter f = compile(o);
    CHECK_FALSE(pass(f, event("a.b", "{}", Priority::low)));
    CHECK_FALSE(pass(f, event("a.b", "{}", Priority::normal)));
    CHECK(pass(f, event("a.b", "{}", Priority::high)));
    CHECK(pass(f, event("a.b", "{}", Priority::critical)));
    o.min_priority = "urgent";
    CHECK_THROWS_AS(compile(o), UsageError);
}

TEST_CASE("--where compares JSON text, strings unquoted; a missing path never equals") {
    FilterOptions o;
    o.where = {"payload.status=ok", "payload.n=3", "priority=high"};
    EventFilter f = compile(o);
    CHECK(pass(f, event("a.b", R"({"status":"ok","n":3})", Priority::high)));
    CHECK_FALSE(pass(f, event("a.b", R"({"status":"ok","n":4})", Priority::high)));
    CHECK_FALSE(pass(f, event("a.b", R"({"status":"ok"})", Priority::high)));
    CHECK_FALSE(pass(f, event("a.b", R"({"status":"ok","n":3})", Priority::low)));
    o.where = {"payload.flag=true", "request_id=null"};
    CHECK(pass(compile(o), event("a.b", R"({"flag":true})")));
    CHECK_FALSE(pass(compile(o), event("a.b", R"({"flag":"yes"})")));
    o.where = {"payload.tags=[\"x\"]"};
    CHECK(pass(compile(o), event("a.b", R"({"tags":["x"]})")));
    o.where = {"payload.s="};
    CHECK(pass(compile(o), event("a.b", R"({"s":""})")));
    CHECK_FALSE(pass(compile(o), event("a.b", R"({})")));
}

TEST_CASE("--where PATH!=VALUE: a missing path is not equal") {
    FilterOptions o;
    o.where = {"payload.status!=failed"};
    EventFilter f = compile(o);
    CHECK(pass(f, event("a.b", R"({"status":"ok"})")));
    CHECK(pass(f, event("a.b", R"({})")));
    CHECK_FALSE(pass(f, event("a.b", R"({"status":"failed"})")));
    auto w = EventFilter::parse_where("payload.url=http://x/?a=b");
    CHECK(w.path.text() == "payload.url");
    CHECK(w.value == "http://x/?a=b");
    CHECK_FALSE(w.negate);
    CHECK_THROWS_AS(EventFilter::parse_where("payload.status"), UsageError);
    CHECK_THROWS_AS(EventFilter::parse_where("=x"), UsageError);
    CHECK_THROWS_AS(EventFilter::parse_where("!=x"), UsageError);
}

TEST_CASE("--exclude drops types matching a name or glob") {
    FilterOptions o;
    o.exclude = {"agent.heartbeat", "model.*"};
    EventFilter f = compile(o);
    CHECK_FALSE(pass(f, event("agent.heartbeat", "{}")));
    CHECK_FALSE(pass(f, event("model.inference_complete", "{}")));
    CHECK(pass(f, event("agent.task_started", "{}")));
    o.exclude = {"agent.task_[sc]*"};
    f = compile(o);
    CHECK_FALSE(pass(f, event("agent.task_started", "{}")));
    CHECK(pass(f, event("agent.error", "{}")));
    o.exclude = {""};
    CHECK_THROWS_AS(compile(o), UsageError);
}
