#include "publish/dlq_redrive.h"

#include <unistd.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "redis/connect.h"
#include "bus/dlq.h"
#include "base/error.h"
#include "redis/crc16.h"
#include "base/log.h"
#include "app/output.h"
#include "base/safe_text.h"
#include "base/uuid.h"
#include "base/signals.h"
#include "base/stderr_write.h"
#include "base/text.h"
#include "app/tool.h"

namespace rbus {

std::string redriven_body(const DlqEntry& e) {
    if (e.envelope.empty()) return {};
    Json j = Json::parse(e.envelope, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return {};
    // An event without an id (RaptorBus's legacy dict) is known by the UUID v5
    // of its bytes: kept as its id, since the mark changes the bytes.
    if (!j.contains("id")) j["id"] = uuid_v5(e.envelope);
    j["redriven"] = true;
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

namespace {

// The id of a redriven body (redriven_body gave it one).
std::string event_id_of(const std::string& body) {
    Json j = Json::parse(body, nullptr, false);
    const Json* id = j.is_object() && j.contains("id") ? &j["id"] : nullptr;
    return id && id->is_string() ? id->get<std::string>() : (id ? id->dump() : std::string());
}

// KEYS: the history stream, {ns}:dlq, the event's back mark
// (HistoryKeys::back), RaptorBus's record (when the entry names one). ARGV:
// the envelope, the DLQ entry's id, the mark's TTL (s). The mark holds the
// stream entry the last redrive added for the event: when that came after
// this dead letter (another group's, moved back by an earlier or concurrent
// run), the event is back already and is not added again. 2: added; 1: back
// already, the dead letter removed; 0: the entry had left the DLQ (another
// redrive took it). A stream key of another type fails the XADD before
// anything is written or removed.
constexpr std::string_view kRedriveOneNodeScript = R"lua(
if #redis.call('XRANGE', KEYS[2], ARGV[2], ARGV[2]) == 0 then return 0 end
local function before(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if not am or not bm then return true end
  if tonumber(am) ~= tonumber(bm) then return tonumber(am) < tonumber(bm) end
  return tonumber(as) < tonumber(bs)
end
local back = redis.call('GET', KEYS[3])
local added = 1
if not back or before(back, ARGV[2]) then
  local id = redis.call('XADD', KEYS[1], '*', 'envelope', ARGV[1])
  redis.call('SET', KEYS[3], id, 'EX', ARGV[3])
  added = 2
end
redis.call('XDEL', KEYS[2], ARGV[2])
if KEYS[4] then redis.call('DEL', KEYS[4]) end
return added
)lua";

// A redrive script run on one node; its refusal an error naming the entry (and
// `stream` when it is of another type), without Redis's " script: ..." tail.
Reply run_redrive_script(Connection& conn, const std::vector<std::string_view>& args, const DlqEntry& e,
                         std::string_view stream, std::chrono::milliseconds timeout) {
    try {
        return conn.command(args, timeout);
    } catch (const ReplyError& refused) {
        std::string_view error = refused.what();
        if (!stream.empty() && error.rfind("WRONGTYPE", 0) == 0)
            throw UsageError(fmt::format("history key {} is not a stream: {} not redriven (kept in the DLQ)", stream, e.ref));
        throw ReplyError(fmt::format("{} refused the redrive of {} (kept in the DLQ): {}", conn.peer(), e.ref,
                                     error.substr(0, error.find(" script:"))));
    }
}

// rbus's entry back into its stream and out of the DLQ, in one script:
// kRedriveOneNodeScript's answer (2 added, 1 back already, 0 gone).
long long redrive_rbus(Connection& conn, const std::string& stream, const HistoryKeys& keys, const DlqEntry& e,
                       const std::string& body, const std::string& event_id, std::chrono::milliseconds timeout) {
    std::string dlq = keys.dlq(), mark = keys.back(stream, event_id);
    std::string ttl = std::to_string(kRaptorbusDlqTtl.count());
    std::vector<std::string_view> args{"EVAL", kRedriveOneNodeScript, e.raptorbus_key.empty() ? "3" : "4", stream, dlq,
                                       mark};
    if (!e.raptorbus_key.empty()) args.push_back(e.raptorbus_key);
    args.push_back(body);
    args.push_back(e.ref);
    args.push_back(ttl);
    Reply r = run_redrive_script(conn, args, e, stream, timeout);
    return integer_of(r.get(), "the redrive script");
}

// KEYS: RaptorBus's record. ARGV: its channel, the event. PUBLISHed, and
// removed once a subscriber received it: the receivers; -1: the record was
// gone (another redrive took it: not published twice).
constexpr std::string_view kPublishRecordScript = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local n = redis.call('PUBLISH', ARGV[1], ARGV[2])
if n > 0 then redis.call('DEL', KEYS[1]) end
return n
)lua";

// KEYS: the history stream, the redrive mark (HistoryKeys::redriven, in the
// stream's slot). ARGV: the envelope, the mark's TTL (s). 1: added; 0: the
// mark was there, the entry was added by an earlier redrive. A stream key of
// another type fails the XADD before anything is written.
constexpr std::string_view kRedriveScript = R"lua(
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('XADD', KEYS[1], '*', 'envelope', ARGV[1])
redis.call('SET', KEYS[2], '1', 'EX', ARGV[2])
return 1
)lua";

// The same on a Redis Cluster, where the stream, {ns}:dlq and the record sit on
// different masters, so no step is atomic with the others: back into the
// stream with the redrive mark (one script on the stream's master), then
// RaptorBus's record removed, then the entry out of the DLQ (last: until then
// a rerun finds the entry, and the mark tells it the event is back already),
// then the mark. A redrive stopped between the steps and run again adds no
// second stream entry. Throws ReplyError on a refusal, ConnectError when a
// master could not be reached.
void redrive_rbus(ClusterSlots& cluster, const std::string& stream, const HistoryKeys& keys, const DlqEntry& e,
                  const std::string& body, bool add) {
    std::string dlq = keys.dlq();
    std::string mark = keys.redriven(stream, e.ref);
    std::string ttl = std::to_string(kRaptorbusDlqTtl.count());
    auto run = [&](SlotCommand step) {
        std::vector<SlotResult> r = cluster.run({step});
        if (r[0].lost)
            throw ConnectError(fmt::format("the redrive of {} stopped at {} (run it again: it is not added twice): {}",
                                           e.ref, step.what, r[0].error));
        if (!r[0].ok())
            throw ReplyError(fmt::format("the cluster refused the redrive of {} ({}): {}", e.ref, step.what, r[0].error));
        return std::move(r[0].reply);
    };
    if (add) {
        SlotCommand back = slot_command(stream, {"EVAL", kRedriveScript, "2", stream, mark, body, ttl});
        back.what = "the redrive script";
        Reply added = run(std::move(back));
        if (added->type == REDIS_REPLY_INTEGER && added->integer == 0)
            logger().info("{} was back in {} already (an earlier redrive stopped before removing it)", e.ref, stream);
    }
    if (!e.raptorbus_key.empty()) run(slot_command(e.raptorbus_key, {"DEL", e.raptorbus_key}));
    run(slot_command(dlq, {"XDEL", dlq, e.ref}));
    run(slot_command(mark, {"DEL", mark}));
}

enum class Back { back, kept, gone };

// A RaptorBus record PUBLISHed on its original channel and removed once a
// subscriber received it (kept when none did; gone when another redrive took
// it first). One node: one script. On a plain cluster PUBLISH counts the
// receiving node's subscribers only: when it counts none, the other masters
// are asked for theirs (PUBSUB NUMSUB; a pattern subscriber on another node is
// not counted, so such a record is kept and reported, never lost).
Back publish_record(Connection* conn, ClusterSlots* cluster, const DlqEntry& e, const std::string& body,
                    std::chrono::milliseconds timeout) {
    if (!cluster) {
        Reply r = run_redrive_script(*conn, {"EVAL", kPublishRecordScript, "1", e.ref, e.original_channel, body}, e, {},
                                     timeout);
        long long n = integer_of(r.get(), "the redrive script");
        return n < 0 ? Back::gone : n > 0 ? Back::back : Back::kept;
    }
    int slot = hash_slot(e.original_channel);
    bool received = integer_of(cluster->command(slot, {"PUBLISH", e.original_channel, body}).get(), "PUBLISH") > 0;
    for (const HostPort& m : cluster->masters()) {
        if (received) break;
        Reply r = cluster->node(m).command({"PUBSUB", "NUMSUB", e.original_channel}, timeout);
        received = r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->type == REDIS_REPLY_INTEGER &&
                   r->element[1]->integer > 0;
    }
    if (!received) return Back::kept;
    cluster->command(hash_slot(e.ref), {"DEL", e.ref});
    return Back::back;
}

}  // namespace

namespace {

// A --reason that no selected entry has and RaptorBus does not name (a typo:
// max_retry_exceeded) is said, not a quiet "0 entries".
void warn_unknown_reasons(const std::vector<std::string>& reasons, const std::vector<DlqEntry>& entries) {
    for (const std::string& r : reasons) {
        if (std::find(std::begin(kKnownReasons), std::end(kKnownReasons), r) != std::end(kKnownReasons)) continue;
        if (std::any_of(entries.begin(), entries.end(), [&](const DlqEntry& e) { return e.reason == r; })) continue;
        logger().warn("no dead letter has the reason {} (RaptorBus's reasons: {})", json_quoted(r),
                      fmt::join(kKnownReasons, ", "));
    }
}

// Both DLQs' selected entries, read where they are: one node (conn) or a Cluster (cluster).
std::vector<DlqEntry> selected_entries(const Context& ctx, const RedriveRequest& req, std::unique_ptr<Connection>& conn,
                                       std::unique_ptr<ClusterSlots>& cluster) {
    DlqSelection sel;
    sel.range = parse_replay_range(req.since, req.until, std::chrono::system_clock::now());
    sel.reasons = req.reasons;
    sel.type_globs = req.type_globs;
    cluster = open_history_bus(ctx, "rbus-dlq", conn);
    HistoryKeys keys(ctx.history_prefix);
    std::vector<DlqEntry> entries =
        cluster ? read_dlq(*cluster, keys, sel) : read_dlq(*conn, keys, sel, ctx.connect.reply_timeout);
    warn_unknown_reasons(req.reasons, entries);
    if (!req.filter.empty()) {  // the reader's filters on each entry's event (none: it passes only no filter)
        EnvelopeReader reader;
        entries.erase(std::remove_if(entries.begin(), entries.end(),
                                     [&](const DlqEntry& e) {
                                         const EventRead& read = reader.read(e.envelope);
                                         return !read.ok() || !req.filter.matches(read.event);
                                     }),
                      entries.end());
    }
    return entries;
}

}  // namespace

void add_type_globs(const Context& ctx, const std::vector<std::string>& args, RedriveRequest& req) {
    for (const std::string& arg : args) {
        if (arg.find_first_of("={}\":") != std::string::npos || arg == "-" || arg.rfind('@', 0) == 0)
            throw UsageError(fmt::format("dead letters are selected by TYPE globs; {} looks like payload data (a "
                                         "redrive publishes each event as it was)",
                                         json_quoted(arg)));
        req.type_globs.push_back(ctx.type_from(arg));
    }
}

int run_dlq_list(const Context& ctx, const RedriveRequest& req) {
    std::unique_ptr<Connection> conn;
    std::unique_ptr<ClusterSlots> cluster;
    std::vector<DlqEntry> entries = selected_entries(ctx, req, conn, cluster);
    StdoutWriter out;
    bool terminal = out.is_tty();  // C1 controls and bidi characters from the bus as \uXXXX there
    std::size_t shown = 0;
    for (const DlqEntry& e : entries) {
        out.line(terminal ? json_terminal_safe(dlq_line(e)) : dlq_line(e));
        ++shown;
    }
    out.flush();
    logger().info("{} DLQ entr{}", shown, shown == 1 ? "y" : "ies");
    return kExitOk;
}

int run_redrive(const Context& ctx, const RedriveRequest& req) {
    std::unique_ptr<Connection> conn;
    std::unique_ptr<ClusterSlots> cluster;
    std::vector<DlqEntry> entries = selected_entries(ctx, req, conn, cluster);
    HistoryKeys keys(ctx.history_prefix);
    StdoutWriter out;
    out.keep_going_when_closed();
    const bool terminal = out.is_tty();  // C1 controls and bidi characters from the bus as \uXXXX there
    auto print = [&](const std::string& line) {
        if (!ctx.quiet) out.line(terminal ? json_terminal_safe(line) : line);
    };
    std::uint64_t back = 0, kept = 0;
    std::set<std::string> added;  // on a Cluster: stream + event id of each event this run put back
    for (const DlqEntry& e : entries) {
        if (int sig = pending_signal()) return signal_exit_code(sig);
        if (req.dry_run) {
            print(dlq_line(e));
            continue;
        }
        std::string body = redriven_body(e);
        if (body.empty()) {
            ++kept;
            logger().warn("kept {}: it holds no event to redrive", e.ref);
            continue;
        }
        Back result = Back::back;
        bool again = false;  // the same event, dead-lettered by another group, is back in its stream already
        if (e.source == DlqEntry::Source::rbus) {
            std::string stream = e.stream.empty() ? keys.stream(e.original_channel) : e.stream;
            std::string id = event_id_of(body);
            if (cluster) {  // this run's own memory (the cluster's steps are not one script)
                std::string event = stream + '\n' + id;
                again = added.count(event) > 0;
                redrive_rbus(*cluster, stream, keys, e, body, !again);
                added.insert(std::move(event));
            } else {  // the server's back mark: across runs, concurrent ones too
                long long r = redrive_rbus(*conn, stream, keys, e, body, id, ctx.connect.reply_timeout);
                if (r == 0) result = Back::gone;
                again = r == 1;
            }
        } else {
            result = publish_record(conn.get(), cluster.get(), e, body, ctx.connect.reply_timeout);
        }
        if (result == Back::gone) {
            logger().info("{} had left the DLQ already (another redrive took it): not redriven twice", e.ref);
            continue;
        }
        if (result == Back::kept) {
            ++kept;
            logger().warn("kept {}: no subscriber of {} received it", e.ref, e.original_channel);
            continue;
        }
        ++back;
        if (again)
            logger().info("{}: its event is back in its stream already (another group's dead letter): removed, not "
                          "added twice",
                          e.ref);
        else
            print(body);
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
