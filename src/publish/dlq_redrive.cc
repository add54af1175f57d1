#include "publish/dlq_redrive.h"

#include <unistd.h>

#include <fmt/format.h>

#include "redis/connect.h"
#include "base/error.h"
#include "redis/crc16.h"
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

// The same on a Redis Cluster, where the stream, {ns}:dlq and the record sit on
// different masters: back into the stream first, then out of the DLQ.
void redrive_rbus(ClusterSlots& cluster, const HistoryKeys& keys, const DlqEntry& e, const std::string& body) {
    std::string stream = e.stream.empty() ? keys.stream(e.original_channel) : e.stream;
    std::string dlq = keys.dlq();
    std::vector<SlotCommand> steps{slot_command(stream, {"XADD", stream, "*", "envelope", body}),
                                   slot_command(dlq, {"XDEL", dlq, e.ref})};
    if (!e.raptorbus_key.empty()) steps.push_back(slot_command(e.raptorbus_key, {"DEL", e.raptorbus_key}));
    for (const SlotCommand& step : steps) {
        std::vector<SlotResult> r = cluster.run({step});
        if (!r[0].ok())
            throw ReplyError(fmt::format("the cluster refused the redrive of {} ({}): {}", e.ref, step.what, r[0].error));
    }
}

// A RaptorBus record PUBLISHed on its original channel: true when a subscriber
// received it. On a plain cluster PUBLISH counts the receiving node's
// subscribers only: when it counts none, the other masters are asked for
// theirs (PUBSUB NUMSUB; a pattern subscriber on another node is not counted,
// so such a record is kept and reported, never lost).
bool publish_record(Connection* conn, ClusterSlots* cluster, const DlqEntry& e, const std::string& body,
                    std::chrono::milliseconds timeout) {
    if (!cluster) return integer_of(conn->command({"PUBLISH", e.original_channel, body}, timeout).get(), "PUBLISH") > 0;
    int slot = hash_slot(e.original_channel);
    if (integer_of(cluster->command(slot, {"PUBLISH", e.original_channel, body}).get(), "PUBLISH") > 0) return true;
    for (const HostPort& m : cluster->masters()) {
        Reply r = cluster->node(m).command({"PUBSUB", "NUMSUB", e.original_channel}, timeout);
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->type == REDIS_REPLY_INTEGER &&
            r->element[1]->integer > 0)
            return true;
    }
    return false;
}

}  // namespace

namespace {

// Both DLQs' selected entries, read where they are: one node (conn) or a Cluster (cluster).
std::vector<DlqEntry> selected_entries(const Context& ctx, const RedriveRequest& req, std::unique_ptr<Connection>& conn,
                                       std::unique_ptr<ClusterSlots>& cluster) {
    DlqSelection sel;
    sel.range = parse_replay_range(req.since, req.until, std::chrono::system_clock::now());
    sel.reasons = req.reasons;
    sel.type_globs = req.type_globs;
    cluster = open_history_bus(ctx, "rbus-dlq", conn);
    HistoryKeys keys(ctx.history_prefix);
    return cluster ? read_dlq(*cluster, keys, sel) : read_dlq(*conn, keys, sel, ctx.connect.reply_timeout);
}

}  // namespace

int run_dlq_list(const Context& ctx, const RedriveRequest& req) {
    std::unique_ptr<Connection> conn;
    std::unique_ptr<ClusterSlots> cluster;
    std::vector<DlqEntry> entries = selected_entries(ctx, req, conn, cluster);
    StdoutWriter out;
    bool terminal = out.is_tty();  // C1 controls and bidi characters from the bus as \uXXXX there
    for (const DlqEntry& e : entries) out.line(terminal ? json_terminal_safe(dlq_line(e)) : dlq_line(e));
    out.flush();
    logger().info("{} DLQ entr{}", entries.size(), entries.size() == 1 ? "y" : "ies");
    return kExitOk;
}

int run_redrive(const Context& ctx, const RedriveRequest& req) {
    std::unique_ptr<Connection> conn;
    std::unique_ptr<ClusterSlots> cluster;
    std::vector<DlqEntry> entries = selected_entries(ctx, req, conn, cluster);
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
            if (cluster)
                redrive_rbus(*cluster, keys, e, body);
            else
                redrive_rbus(*conn, keys, e, body, ctx.connect.reply_timeout);
        } else {
            if (!publish_record(conn.get(), cluster.get(), e, body, ctx.connect.reply_timeout)) {
                ++kept;
                logger().warn("kept {}: no subscriber of {} received it", e.ref, e.original_channel);
                continue;
            }
            if (cluster)
                cluster->command(hash_slot(e.ref), {"DEL", e.ref});
            else
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
