#include "publish/dlq_redrive.h"

#include <unistd.h>

#include <fmt/format.h>

#include "redis/connect.h"
#include "base/error.h"
#include "bus/history_options.h"
#include "base/log.h"
#include "app/output.h"
#include "base/safe_text.h"
#include "base/signals.h"
#include "base/stderr_write.h"
#include "app/tool.h"

namespace rbus {

std::string redriven_body(const DlqEntry& e) {
    if (e.envelope.empty()) return {};
    Json j = Json::parse(e.envelope, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return {};
    j["redriven"] = true;
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

namespace {

// rbus's entry back into its stream and out of the DLQ, in one MULTI/EXEC.
void redrive_rbus(Connection& conn, const HistoryKeys& keys, const DlqEntry& e, const std::string& body,
                  std::chrono::milliseconds timeout) {
    std::string stream = e.stream.empty() ? keys.stream(e.original_channel) : e.stream;
    std::string dlq = keys.dlq();
    conn.append({"MULTI"});
    conn.append({"XADD", stream, "*", "envelope", body});
    conn.append({"XDEL", dlq, e.ref});
    int replies = 4;
    if (!e.raptorbus_key.empty()) {
        conn.append({"DEL", e.raptorbus_key});
        ++replies;
    }
    conn.append({"EXEC"});
    Deadline deadline = deadline_after(timeout);
    conn.flush(deadline);
    for (int i = 0; i < replies; ++i) {
        Reply r = conn.read_reply(deadline);
        if (!r) throw TimeoutError(fmt::format("no reply from {} to the redrive", conn.peer()));
        if (r->type == REDIS_REPLY_ERROR)
            throw ReplyError(fmt::format("{} refused the redrive of {}: {}", conn.peer(), e.ref, reply_text(r.get())));
        if (i == replies - 1 && r->type != REDIS_REPLY_ARRAY)
            throw ReplyError(fmt::format("{} aborted the redrive of {}", conn.peer(), e.ref));
    }
}

}  // namespace

namespace {

std::vector<DlqEntry> selected_entries(const Context& ctx, const RedriveRequest& req, std::string_view feature,
                                       std::unique_ptr<Connection>& conn) {
    require_single_node(ctx, feature);
    DlqSelection sel;
    sel.range = parse_replay_range(req.since, req.until, std::chrono::system_clock::now());
    sel.reasons = req.reasons;
    sel.type_globs = req.type_globs;
    conn = connect_bus(ctx.connect, "rbus-dlq");
    require_single_node(*conn, feature, ctx.connect.reply_timeout);
    return read_dlq(*conn, HistoryKeys(ctx.history_prefix), sel, ctx.connect.reply_timeout);
}

}  // namespace

int run_dlq_list(const Context& ctx, const RedriveRequest& req) {
    std::unique_ptr<Connection> conn;
    std::vector<DlqEntry> entries = selected_entries(ctx, req, "--dlq", conn);
    StdoutWriter out;
    bool terminal = out.is_tty();  // C1 controls and bidi characters from the bus as \uXXXX there
    for (const DlqEntry& e : entries) out.line(terminal ? json_terminal_safe(dlq_line(e)) : dlq_line(e));
    out.flush();
    logger().info("{} DLQ entr{}", entries.size(), entries.size() == 1 ? "y" : "ies");
    return kExitOk;
}

int run_redrive(const Context& ctx, const RedriveRequest& req) {
    std::unique_ptr<Connection> conn;
    std::vector<DlqEntry> entries = selected_entries(ctx, req, "--redrive", conn);
    HistoryKeys keys(ctx.history_prefix);
    StdoutWriter out;
    out.keep_going_when_closed();
    std::uint64_t back = 0, kept = 0;
    for (const DlqEntry& e : entries) {
        if (int sig = pending_signal()) return signal_exit_code(sig);
        if (req.dry_run) {
            if (!ctx.quiet) out.line(dlq_line(e));
            continue;
        }
        std::string body = redriven_body(e);
        if (body.empty()) {
            ++kept;
            logger().warn("kept {}: it holds no event to redrive", e.ref);
            continue;
        }
        if (e.source == DlqEntry::Source::rbus) {
            redrive_rbus(*conn, keys, e, body, ctx.connect.reply_timeout);
        } else {
            Reply r = conn->command({"PUBLISH", e.original_channel, body}, ctx.connect.reply_timeout);
            if (integer_of(r.get(), "PUBLISH") < 1) {
                ++kept;
                logger().warn("kept {}: no subscriber of {} received it", e.ref, e.original_channel);
                continue;
            }
            conn->command({"DEL", e.ref}, ctx.connect.reply_timeout);
        }
        ++back;
        if (!ctx.quiet) out.line(body);
    }
    out.flush();
    std::string summary = req.dry_run ? fmt::format("dry run: {} entr{} to redrive", entries.size(),
                                                    entries.size() == 1 ? "y" : "ies")
                                      : fmt::format("redriven {}, kept {}", back, kept);
    if (!ctx.quiet) {
        summary += "\n";
        write_stderr(summary);
    }
    if (kept > 0) {
        print_error(tool_name(), fmt::format("{} DLQ entr{} kept (not back where they came from)", kept,
                                             kept == 1 ? "y" : "ies"));
        return kExitFailure;
    }
    return kExitOk;
}

}  // namespace rbus
