#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>

#include "app/context.h"
#include "bus/dlq.h"
#include "app/output.h"
#include "tail/tail_dlq.h"

using namespace rbus;

namespace {

struct DlqTailUtc {
    DlqTailUtc() {
        setenv("TZ", "UTC", 1);
        tzset();
    }
};

const char* kTailDlqEvent =
    R"({"id":"e-1","type":"job.run","payload":{"n":1},"priority":"high","request_id":"corr-1","source_agent_id":null,"workspace_id":"ws-1","timestamp":"2026-11-30T09:00:00.000000Z"})";

DlqEntry dead_job(std::string reason = "max_retries_exceeded") {
    DlqEntry e;
    e.source = DlqEntry::Source::rbus;
    e.ref = "7-0";
    e.envelope = kTailDlqEvent;
    e.reason = std::move(reason);
    e.original_channel = "raptorflow.events.job.run";
    e.failed_at = "2026-11-30T10:00:01.500000Z";
    e.error_details = "handler failed (exit 3) after 3 deliveries";
    e.deliveries = 3;
    e.group = "g";
    e.consumer = "c";
    return e;
}

// The line a piped rbus-tail --dlq prints for `e` (nothing when filtered out).
std::optional<std::string> piped_line(const DlqEntry& e, TailDlqStyle style = {}, EventFilter filter = {}) {
    StdoutWriter out(-1);
    DlqView view(std::move(style), std::move(filter), out, "");
    return view.line(e);
}

}  // namespace

TEST_CASE("tail --dlq: the event's usual line at its failure time, the reason before the payload") {
    DlqTailUtc utc;
    CHECK(piped_line(dead_job()) ==
          "10:00:01.500 high     job.run  ws=ws-1 corr=corr-1  DLQ max_retries_exceeded: handler failed (exit 3) "
          "after 3 deliveries  {\"n\":1}");
}

TEST_CASE("tail --dlq: a record without an event, and a channel its type does not name, say so") {
    DlqTailUtc utc;
    DlqEntry e = dead_job("publish_error");
    e.envelope.clear();
    e.original_channel = "sys.alert.critical";
    e.error_details = "boom";
    CHECK(piped_line(e) == "10:00:01.500 -        (no event)  ws=- corr=-  DLQ publish_error on sys.alert.critical: boom");
    DlqEntry other = dead_job();
    other.original_channel = "sys.guild.muse.broadcast";
    CHECK(piped_line(other)->find("DLQ max_retries_exceeded on sys.guild.muse.broadcast: handler") != std::string::npos);
}

TEST_CASE("tail --dlq: text from the bus cannot drive the terminal") {
    DlqTailUtc utc;
    DlqEntry e = dead_job();
    e.error_details = "bad\x1b[31mred\xc2\x9b" "2J";
    e.original_channel = "sys.x\x1b]0;title\x07";
    std::string line = *piped_line(e);
    CHECK(line.find('\x1b') == std::string::npos);
    CHECK(line.find('\x07') == std::string::npos);
    CHECK(line.find("\xc2\x9b") == std::string::npos);
    CHECK(line.find("bad\\u001b[31mred") != std::string::npos);

    TailDlqStyle json;
    json.json = true;
    json.terminal = true;
    std::string j = *piped_line(e, json);
    CHECK(j.find("\xc2\x9b") == std::string::npos);  // C1 CSI as \u009b on a terminal
    CHECK(Json::parse(j)["dlq"]["error_details"] == e.error_details);
}

TEST_CASE("tail --dlq --json: what rbus-subscribe --dlq prints") {
    TailDlqStyle json;
    json.json = true;
    std::string j = *piped_line(dead_job(), json);
    CHECK(j == dlq_line(dead_job()));
    Json v = Json::parse(j);
    CHECK(v["id"] == "e-1");
    CHECK(v["dlq"]["source"] == "rbus");
    CHECK(v["dlq"]["deliveries"] == 3);
}

TEST_CASE("tail --dlq: TYPE globs select on the event's type; event filters need an event") {
    TailDlqStyle typed;
    typed.type_globs = {"job.*"};
    CHECK(piped_line(dead_job(), typed));
    typed.type_globs = {"agent.*"};
    CHECK_FALSE(piped_line(dead_job(), typed));

    Context ctx;
    FilterOptions opts;
    opts.min_priority = "critical";
    CHECK_FALSE(piped_line(dead_job(), {}, EventFilter::compile(opts, ctx)));
    opts.min_priority = "high";
    CHECK(piped_line(dead_job(), {}, EventFilter::compile(opts, ctx)));
    DlqEntry none = dead_job();
    none.envelope.clear();
    CHECK_FALSE(piped_line(none, {}, EventFilter::compile(opts, ctx)));
    CHECK(piped_line(none));
}

TEST_CASE("an announcement on sys.dlq.*: RaptorBus's record, the reason from the channel when it has none") {
    auto e = dlq_announcement("sys.dlq.routing_error",
                              R"({"original_channel":"raptorflow.events.a","error_details":"no route","timestamp":"2026-11-30T09:00:00","event":null})");
    REQUIRE(e);
    CHECK(e->source == DlqEntry::Source::raptorbus);
    CHECK(e->reason == "routing_error");
    CHECK(e->failed_at == "2026-11-30T09:00:00.000000Z");
    CHECK(e->ref.empty());
    CHECK(dlq_json(*e)["key"].is_null());  // the message names no record
    CHECK_FALSE(dlq_announcement("sys.dlq.x", "not json"));
    CHECK_FALSE(dlq_announcement("sys.dlq.x", "[1,2]"));
}

TEST_CASE("a dead letter moved by a group is one identity, stored in rbus:dlq or announced") {
    DeadLetter d;
    d.envelope = kTailDlqEvent;
    d.reason = kReasonMaxRetries;
    d.channel = "raptorflow.events.job.run";
    d.error_details = "handler failed (exit 3) after 3 deliveries";
    SystemTime now = *parse_timestamp("2026-11-30T10:00:01.5Z");
    // The announcement, as PUBLISHed by the move...
    auto announced = dlq_announcement("sys.dlq.max_retries_exceeded", raptorbus_dlq_record(d, now));
    REQUIRE(announced);
    // ...and the stream entry the same move wrote, as read_dlq reads it back.
    DlqEntry stored = dead_job();
    stored.failed_at = format_timestamp(now);
    CHECK(dlq_identity(*announced) == dlq_identity(stored));
    DlqEntry later = stored;
    later.failed_at = format_timestamp(now + std::chrono::seconds(1));
    CHECK(dlq_identity(later) != dlq_identity(stored));  // the same event dead again later is shown again
}
