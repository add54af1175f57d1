#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "publish/batch_input.h"

using namespace rbus;

TEST_CASE("--stdin lines: payload objects for one type; the rest invalid with a reason") {
    Context ctx;
    EnvelopeFields base;
    base.type = "agent.task_started";
    base.workspace_id = "ws-1";
    LineParser p(BatchInput::payloads, base, ctx, 1 << 20);
    std::string why;
    auto ev = p.parse(3, R"({"n":1})", why);
    REQUIRE(ev);
    CHECK(ev->line == 3);
    CHECK(ev->channel == "raptorflow.events.agent.task_started");
    CHECK(ev->body == envelope_of(*ev).dump());
    CHECK(*envelope_of(*ev).workspace_id() == "ws-1");
    CHECK_FALSE(p.parse(4, "[1,2]", why));
    CHECK(why == "payload must be a JSON object (got array)");
    CHECK_FALSE(p.parse(5, "  ", why));
    CHECK(why == "empty line");
    CHECK_FALSE(p.parse(6, "{bad", why));
    CHECK(why == "payload: invalid JSON at byte 2: invalid literal; expected string literal");
    LineParser small(BatchInput::payloads, base, ctx, 50);
    CHECK_FALSE(small.parse(7, "{}", why));
    CHECK(why.find("more than --max-bytes 50") != std::string::npos);
}

TEST_CASE("--envelopes lines keep their id, are canonical, and are read as readers read them") {
    Context ctx;
    LineParser p(BatchInput::envelopes, {}, ctx, 1 << 20);
    std::string why;
    auto ev = p.parse(1, R"({"payload":{"a":1},"event_type":"x.legacy","correlation_id":"c","id":"abc"})", why);
    REQUIRE(ev);
    Envelope env = envelope_of(*ev);
    CHECK(env.id() == "abc");
    CHECK(*env.request_id() == "c");
    CHECK(env.timestamp() != nullptr);  // missing: stamped now
    CHECK(ev->body.rfind(R"({"id":"abc","type":"x.legacy","payload":{"a":1},"priority":"normal","request_id":"c")", 0) == 0);
    CHECK(p.parse(2, R"({"type":"heartbeat"})", why));  // any non-empty type (SPEC §1, reading)
    CHECK_FALSE(p.parse(2, R"({"type":""})", why));
    CHECK_FALSE(p.parse(3, R"({"type":"a.b","payload":[1]})", why));
    CHECK(why == "payload must be a JSON object (got array)");
    CHECK_FALSE(p.parse(4, "[]", why));
}

TEST_CASE("--envelopes: a canonical line is published byte for byte, as the full read would write it") {
    Context ctx;
    LineParser p(BatchInput::envelopes, {}, ctx, 1 << 20);
    std::string why;
    const std::string canonical =
        R"({"id":"e-1","type":"agent.task_started","payload":{"n":1,"s":"café ok"},"priority":"high",)"
        R"("request_id":"c-1","source_agent_id":null,"workspace_id":"ws","timestamp":"2026-11-27T00:00:00.000000Z","extra":[1]})";
    auto ev = p.parse(1, canonical, why);
    REQUIRE(ev);
    CHECK(ev->body == canonical);
    CHECK(ev->channel == "raptorflow.events.agent.task_started");
    CHECK(envelope_of(*ev).dump() == canonical);  // what the full read gives
    // The same event written another way takes the full read, to the same bytes.
    std::string spaced = canonical;
    spaced.insert(1, " ");
    auto slow = p.parse(2, spaced, why);
    REQUIRE(slow);
    CHECK(slow->body == canonical);
    // Canonical in shape but with a type the full read refuses (a C1 control): refused with its reason.
    std::string bad_type = canonical;
    bad_type.replace(bad_type.find("agent.task_started"), 18, "agent.task\xc2\x9bstarted");
    CHECK_FALSE(p.parse(3, bad_type, why));
    CHECK_FALSE(why.empty());
}

TEST_CASE("--envelopes: one validation for envelopes published again") {
    Context ctx;
    LineParser p(BatchInput::envelopes, {}, ctx, 1 << 20);
    std::string why;
    for (const char* bad : {R"({"id":"\u0000","type":"a.b"})", R"({"id":"a\u001b[2J","type":"a.b"})",
                            R"({"type":"a.b","timestamp":"not-a-time"})", R"({"type":"a.b","workspace_id":"w\u0000"})",
                            R"({"type":"a.b","request_id":"r\u0085"})", R"({"type":"a\nb"})"}) {
        CAPTURE(bad);
        CHECK_FALSE(p.parse(1, bad, why));
        CHECK_FALSE(why.empty());
    }
    std::string long_id = R"({"type":"a.b","id":")" + std::string(201, 'i') + R"("})";
    CHECK_FALSE(p.parse(1, long_id, why));
    CHECK(why.find("longer than 200") != std::string::npos);
    // The canonical fast path refuses the same (a raw C1 control in the id).
    const std::string canonical_c1 =
        "{\"id\":\"e\xc2\x85\",\"type\":\"a.b\",\"payload\":{},\"priority\":\"normal\",\"request_id\":null,"
        "\"source_agent_id\":null,\"workspace_id\":null,\"timestamp\":\"2026-11-27T00:00:00.000000Z\"}";
    CHECK_FALSE(p.parse(1, canonical_c1, why));
    CHECK(why.find("control character") != std::string::npos);
}

TEST_CASE("LineReader: lines without \\n or \\r, the last one even without a newline") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::string data = "a\r\n\nb\nlast";
    REQUIRE(::write(fds[1], data.data(), data.size()) == static_cast<ssize_t>(data.size()));
    ::close(fds[1]);
    int idle = 0;
    LineReader r(fds[0], [&] { ++idle; });
    std::vector<std::string> lines;
    std::string_view line;
    while (r.next(line)) lines.emplace_back(line);
    ::close(fds[0]);
    CHECK(lines == std::vector<std::string>{"a", "", "b", "last"});
}

TEST_CASE("LineReader: a line longer than max_line is kept only to max_line, the next one whole") {
    char path[] = "/tmp/rbus-lines-XXXXXX";
    int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    ::unlink(path);
    std::string data = std::string(300000, 'x') + "\nshort\n" + std::string(70000, 'y');
    REQUIRE(::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
    ::lseek(fd, 0, SEEK_SET);
    LineReader r(fd, nullptr, 1000);
    std::string_view line;
    REQUIRE(r.next(line));
    CHECK(r.too_long());
    CHECK(line.size() == 1000);
    CHECK(r.line_bytes() == 300000);
    REQUIRE(r.next(line));
    CHECK_FALSE(r.too_long());
    CHECK(line == "short");
    REQUIRE(r.next(line));  // the last line, without a newline, too long as well
    CHECK(r.too_long());
    CHECK(r.line_bytes() == 70000);
    CHECK_FALSE(r.next(line));
    ::close(fd);
}

TEST_CASE("LineReader: a NUL byte is part of the line, not its end") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::string data("{\"a\":1}\0junk\n", 14);
    REQUIRE(::write(fds[1], data.data(), data.size()) == static_cast<ssize_t>(data.size()));
    ::close(fds[1]);
    LineReader r(fds[0], nullptr);
    std::string_view line;
    REQUIRE(r.next(line));
    CHECK(line.size() == 12);  // {"a":1}, the NUL and junk
    ::close(fds[0]);
}

TEST_CASE("dead-letter records: input for invalid lines, envelope for failed events") {
    std::string path = "/tmp/rbus-dl-test-" + std::to_string(::getpid());
    std::remove(path.c_str());
    {
        DeadLetterFile dl(path);
        dl.invalid(2, "[1]", "payload must be a JSON object (got array)");
        EnvelopeFields f;
        f.type = "a.b";
        f.id = "id-1";
        dl.failed(5, Envelope::create(std::move(f)), "bus unreachable");
        dl.flush();
    }
    std::ifstream in(path);
    std::string l1, l2;
    std::getline(in, l1);
    std::getline(in, l2);
    std::remove(path.c_str());
    CHECK(l1 == R"x({"reason":"payload must be a JSON object (got array)","line":2,"input":"[1]"})x");
    CHECK(l2.rfind(R"x({"reason":"bus unreachable","line":5,"envelope":{"id":"id-1","type":"a.b")x", 0) == 0);
}
