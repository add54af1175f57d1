// The one pass (event_read.h) must print exactly what the tree reader
// (read_envelope, then dump) prints, for every filter and format.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bus/consumer.h"
#include "subscribe/event_sink.h"

using namespace rbus;

namespace {

struct Run {
    std::string out;      // everything printed
    std::string matched;  // one 0/1 per message
    int fast = 0;         // messages that the one pass settled
};

// A message as the tree reader reads it, in the form the consumers take.
struct TreeRead {
    EventRead read;
    std::string text, storage;
    explicit TreeRead(const std::string& raw) {
        ReadResult r = read_envelope(raw);
        read.shape = r.shape;
        read.full_read = true;
        if (!r.ok()) {
            read.error = r.error;
            return;
        }
        text = r.envelope->dump();
        REQUIRE(index_envelope_text(text, read.event, storage));
    }
};

Run run(const std::vector<std::string>& messages, const FilterOptions& fo, const Context& ctx, bool fast_path,
        std::string_view format = "json", bool color = false) {
    Run r;
    std::FILE* file = std::tmpfile();
    REQUIRE(file);
    {
        StdoutWriter out(fileno(file));
        SinkOptions so;
        so.formatter = make_formatter(format, color);
        so.raw = is_raw_format(format);
        so.filter = EventFilter::compile(fo, ctx);
        so.invalid = InvalidPolicy::emit;
        EventSink sink(std::move(so), out);
        ConsumeHandlers h;
        h.on_event = [&](const ReceivedEvent& ev) {
            r.fast += !ev.read.full_read;
            return sink.on_event(ev);
        };
        EnvelopeReader reader;
        for (const std::string& m : messages) {
            BusMessage msg{"raptorflow.events.x", m, {}};
            bool matched = false;
            if (fast_path) {
                matched = deliver_message(msg, h, reader);
            } else {
                TreeRead tree(m);
                matched = h.on_event(ReceivedEvent{msg, tree.read, std::chrono::system_clock::now()});
            }
            r.matched += matched ? '1' : '0';
        }
        out.flush();
    }
    std::rewind(file);
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, file)) r.out.append(buf, n);
    std::fclose(file);
    return r;
}

std::string envelope(std::string_view type, std::string_view payload, std::string_view priority = "normal",
                     std::string_view request_id = "null", std::string_view workspace_id = "\"ws-1\"",
                     std::string_view source = "null") {
    return fmt::format(R"({{"id":"7d3c6f2e-1a4b-4c5d-8e9f-0a1b2c3d4e5f","type":"{}","payload":{},"priority":"{}",)"
                       R"("request_id":{},"source_agent_id":{},"workspace_id":{},"timestamp":"2026-11-26T16:10:30.237319Z"}})",
                       type, payload, priority, request_id, source, workspace_id);
}

std::vector<std::string> messages() {
    std::vector<std::string> m = {
        // canonical rbus envelopes
        envelope("agent.task_started", R"({"status":"ok","n":1,"items":["a","b"],"obj":{"a":1}})"),
        envelope("agent.task_failed", R"({"status":"error","n":2.5})", "critical", "\"corr-1\"", "\"ws-2\"", "\"RES-001\""),
        envelope("model.call", R"({"status":"ok","u":"café 🚀","esc":"a\"b\\c\nd\u0001"})", "high", "\"corr-1\""),
        envelope("model.call", R"({"status":"ok","n":1})", "low", "null", "null"),
        envelope("agent.heartbeat", R"({})", "normal", "\"c\\u0001rr\""),
        envelope("heartbeat", R"({"s":"x","t":null,"b":true})", "high", "\"corr-1\"", "\"ws-1\"", "\"RES-001\""),
        // whitespace and escape variants of canonical ones: the full read
        R"({"id":"x","type":"agent.task_started","payload":{"status": "ok"},"priority":"high","request_id":null,)"
        R"("source_agent_id":null,"workspace_id":"ws-1","timestamp":"2026-11-26T16:10:30.237319Z"})",
        envelope("agent.task_started", R"({"status":"\u006fk","u":"caf\u00e9"})", "normal", "\"corr\\u002d1\""),
        envelope("agent.task_started", R"({"n":1.50,"m":1E2})", "high", "\"corr-1\""),
        envelope("agent.x", R"({"a":1,"a":2,"status":"ok"})"),
        " " + envelope("agent.task_started", R"({"status":"ok"})"),
        // the BusEvent shape with its extra keys, and the legacy dict
        R"({"id":"e1","type":"agent.task_started","payload":{"status":"ok"},"priority":"high","request_id":"corr-1",)"
        R"("source_agent_id":"RES-001","timestamp":"2026-11-26T16:10:30.237319","version":"1.0","retry_count":0,)"
        R"("max_retries":3,"destination_guild":null})",
        R"({"event_type":"agent.task_started","workspace_id":"ws-1","correlation_id":"corr-1","payload":{"status":"ok"},)"
        R"("timestamp":"2026-11-26T16:10:30.237319"})",
        // invalid ones
        "not json", "[1,2]", R"({"payload":{}})", R"({"type":""})", "{\"type\":\"a.b\",\"x\":\"\xff\"}",
        R"({"type":"a.b","priority":"urgent"})",
    };
    std::string extra = envelope("agent.task_started", R"({"status":"ok"})", "high", "\"corr-1\"");
    extra.insert(extra.size() - 1, R"(,"trace":{"span":"s1"},"hops":[1,2])");
    m.push_back(extra);
    return m;
}

}  // namespace

TEST_CASE("the one pass and the tree print the same bytes under every filter") {
    std::vector<std::string> msgs = messages();
    struct Case {
        const char* name;
        FilterOptions fo;
        Context ctx;
    };
    std::vector<Case> cases;
    auto add = [&](const char* name, FilterOptions fo, Context ctx = {}) { cases.push_back({name, fo, ctx}); };
    add("none", {});
    Context ws;
    ws.workspace_id = "ws-1";
    add("workspace", {}, ws);
    Context corr;
    corr.correlation_id = "corr-1";
    add("correlation", {}, corr);
    Context source;
    source.source_agent_id = "RES-001";
    add("source agent", {}, source);
    Context escaped;
    escaped.correlation_id = "c\x01rr";
    add("correlation with a control character", {}, escaped);
    add("min priority", {"high", {}, {}});
    for (const char* w : {"payload.status=ok", "payload.status!=ok", "payload.n=1", "payload.n=2.5",
                          "payload.items.1=b", "payload.items.9=b", "payload.obj={\"a\":1}", "priority=high",
                          "request_id=null", "payload.u=café 🚀", "payload.esc=a\"b\\c\nd\x01", "payload.t=null",
                          "payload.b=true", "payload.missing!=1", "payload=", "payload.status.deeper=x", "trace.span=s1",
                          "hops.0=1", "workspace_id=ws-1", "type=heartbeat"})
        add(w, {"", {w}, {}});
    add("exclude pattern", {"", {}, {"agent.*"}});
    add("exclude type", {"", {}, {"model.call"}});
    add("everything", {"normal", {"payload.status=ok"}, {"agent.task_failed"}}, ws);

    for (const Case& c : cases) {
        for (std::string_view format : {"json", "raw", "payload", "pretty", "{type} {payload.status} {request_id}"}) {
            INFO("filter: ", c.name, ", format: ", format);
            Run full = run(msgs, c.fo, c.ctx, false, format);
            Run quick = run(msgs, c.fo, c.ctx, true, format);
            CHECK(quick.out == full.out);
            CHECK(quick.matched == full.matched);
            CHECK(full.fast == 0);
            // Every valid message but the one with a duplicate payload key; the invalid ones go to the tree.
            CHECK(quick.fast == 13);
        }
    }
}

TEST_CASE("colour and pretty print from the one pass what they print from the tree") {
    std::vector<std::string> msgs = messages();
    for (std::string_view format : {"json", "payload", "pretty"}) {
        INFO(format);
        Run quick = run(msgs, {}, {}, true, format, true);
        CHECK(quick.out.find("\x1b[") != std::string::npos);
        CHECK(quick.out == run(msgs, {}, {}, false, format, true).out);
    }
}
