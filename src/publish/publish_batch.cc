// rbus-publish --stdin / --envelopes: lines in, events pipelined out, every
// line accounted for as published, failed or invalid.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "publish/batch_input.h"
#include "bus/batch_publisher.h"
#include "redis/connect.h"
#include "base/error.h"
#include "bus/history_cluster.h"
#include "bus/history_options.h"
#include "base/log.h"
#include "base/named_file.h"
#include "app/output.h"
#include "json/json_paint.h"
#include "publish/publish_run.h"
#include "bus/bus_publisher.h"
#include "base/signals.h"
#include "base/stderr_write.h"
#include "app/tool.h"

namespace rbus {
namespace {

// Closes the input file descriptor it opened (not stdin).
struct InputFd {
    int fd = 0;
    explicit InputFd(const std::optional<std::string>& path) {
        if (!path || path->empty() || *path == "-") return;
        fd = open_for_reading(*path, "file");  // a FIFO waits for its writer within the deadline
    }
    ~InputFd() {
        if (fd > 0) ::close(fd);
    }
    InputFd(const InputFd&) = delete;
    InputFd& operator=(const InputFd&) = delete;
};

void log_published(const BatchEvent& ev, long long receivers) {
    Envelope env = envelope_of(ev);
    LogFields fields;
    if (const std::string* w = env.workspace_id()) fields.emplace_back("workspace_id", *w);
    if (const std::string* c = env.request_id()) fields.emplace_back("correlation_id", *c);
    fields.emplace_back("receivers", std::to_string(receivers));
    logger().info(fmt::format("Published event {} to {}", env.type(), ev.channel), fields);
}

void print_summary(const Context& ctx, std::string_view line) {
    if (ctx.quiet) return;
    write_stderr(fmt::format("{}\n", line));
}

}  // namespace

int run_batch(const Context& ctx, const PublishRequest& req, bool record_metrics) {
    EnvelopeFields base;
    if (req.stdin_batch) {
        base = base_fields(ctx, req);
        validate_type(base.type);  // a bad TYPE is a usage error, not one invalid line per input line
    }
    LineParser parser(req.stdin_batch ? BatchInput::payloads : BatchInput::envelopes, base, ctx, req.max_bytes);
    InputFd input(req.envelopes);
    DeadLetterFile dead(req.dead_letter);
    StdoutWriter out;
    out.keep_going_when_closed();  // | head -1 must not stop the publishing
    const bool color = color_enabled(ctx.color_flag, out.is_tty(), process_env);
    const bool log_each = logger().enabled(LogLevel::info);

    std::uint64_t published = 0, failed = 0, invalid = 0, fewer = 0;
    auto print = [&](const BatchEvent& ev) {
        if (!ctx.quiet) out.line(color ? colorize_json(envelope_of(ev).json()) : ev.body);
    };
    BatchHandlers handlers;
    handlers.published = [&](const BatchEvent& ev, long long receivers) {
        ++published;
        if (receivers < req.min_receivers) ++fewer;
        if (log_each) log_published(ev, receivers);
        print(ev);
    };
    handlers.failed = [&](const BatchEvent& ev, const std::string& reason) {
        ++failed;
        logger().warn("line {}: not published: {}", ev.line, reason);
        dead.failed(ev.line, envelope_of(ev), reason);
    };
    BatchOptions bo;
    bo.retries = req.retries;
    bo.record_metrics = record_metrics;
    bo.reply_timeout = ctx.connect.reply_timeout;
    if (req.history) {  // --history: the record script (history, msg: copy, PUBLISH) per event, pipelined
        const HistorySettings& hs = *req.history;
        bo.command = "the history script";
        bo.write_command = [&hs](std::string& cmd, const BatchEvent& ev) {
            std::string id = envelope_id(ev.body);
            append_record(cmd, hs, RecordRequest{ev.channel, id, ev.body, ev.channel, true}, true,
                          std::chrono::system_clock::now());
        };
        bo.on_connect = [timeout = ctx.connect.reply_timeout](Connection& c) { load_record_script(c, timeout); };
    }
    // One connection, or one per cluster master with --sharded, or with
    // --history on a Cluster the history on its keys' masters first, then the
    // PUBLISH, chunk by chunk.
    std::unique_ptr<BusBatchPublisher> publisher =
        make_batch_publisher(ctx, bo, handlers, req.history && !req.dry_run ? &*req.history : nullptr);
    BusBatchPublisher& engine = *publisher;
    if (!req.dry_run) engine.start();  // unreachable at start: exit 3, or 0 with --fail-soft
    auto finish = [&] {
        if (!req.dry_run) engine.finish();
    };

    LineReader reader(input.fd, [&] {
        finish();  // input is slow: confirm what was sent
        out.flush();
    }, req.max_bytes);
    std::string_view line;
    std::string why;
    std::uint64_t line_no = 0, blank = 0;
    bool seen_data = false;
    while (reader.next(line)) {
        ++line_no;
        std::optional<BatchEvent> ev;
        std::size_t first = line.find_first_not_of(" \t");
        if (reader.too_long()) {  // read no further than --max-bytes: never parsed
            why = fmt::format("line is {} bytes, more than --max-bytes {}", reader.line_bytes(), req.max_bytes);
        } else if (first == std::string_view::npos) {  // blank lines (a trailing one, spacing) are no events
            ++blank;
            continue;
        } else {
            // A pretty-printed document ('{' alone on its first line) is one object over many lines.
            if (!seen_data && line.substr(first).find_first_not_of(" \t", 1) == std::string_view::npos &&
                (line[first] == '{' || line[first] == '['))
                throw UsageError(fmt::format("line {}: a JSON document over several lines: {} reads one JSON object "
                                             "per line (make them compact with jq -c)",
                                             line_no, req.stdin_batch ? "--stdin" : "--envelopes"));
            ev = parser.parse(line_no, line, why);
        }
        seen_data = true;
        if (!ev) {
            ++invalid;
            logger().warn("line {}: {}", line_no, why);
            dead.invalid(line_no, line, why);
        } else if (req.dry_run) {
            ++published;
            print(*ev);
        } else {
            engine.add(*ev);
        }
    }
    finish();
    out.flush();
    dead.flush();

    std::string skipped = blank > 0 ? fmt::format(" ({} blank line{} skipped)", blank, blank == 1 ? "" : "s") : "";
    if (req.dry_run) {
        print_summary(ctx, fmt::format("dry run: valid {}, invalid {}{}", published, invalid, skipped));
    } else {
        print_summary(ctx, fmt::format("published {}, failed {}, invalid {}{}", published, failed, invalid, skipped));
    }
    if (int sig = pending_signal()) return signal_exit_code(sig);
    if (failed + invalid > 0) {
        print_error(tool_name(), fmt::format("{} of {} line(s) not published{}", failed + invalid, line_no - blank,
                                             req.dead_letter.empty() ? "" : fmt::format(" (see {})", req.dead_letter)));
        return kExitFailure;
    }
    if (fewer > 0) {
        print_error(tool_name(), fmt::format("{} event(s) reached fewer than --min-receivers {} subscriber(s)", fewer,
                                             req.min_receivers));
        return kExitFewReceivers;
    }
    return kExitOk;
}

}  // namespace rbus
