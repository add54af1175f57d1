#include "stats/stats_history.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "base/error.h"
#include "bus/history_keys.h"
#include "stats/stats_history_cluster.h"
#include "base/signals.h"

namespace rbus {
namespace {

constexpr std::size_t kStreamScanPage = 1000;         // SCAN COUNT
constexpr long long kLagCountBound = 1000;  // entries counted when the server cannot tell a group's lag

// Sends the commands in one pipeline; the replies in order, error replies kept.
std::vector<Reply> pipelined_replies(Connection& conn, const std::vector<std::vector<std::string>>& commands,
                            std::chrono::milliseconds timeout) {
    std::vector<Reply> replies;
    if (commands.empty()) return replies;
    for (const auto& c : commands) conn.append(std::vector<std::string_view>(c.begin(), c.end()));
    Deadline deadline = deadline_after(timeout);
    conn.flush(deadline);
    while (replies.size() < commands.size()) {
        Reply r = conn.read_reply(deadline);
        if (r) {
            replies.push_back(std::move(r));
            continue;
        }
        throw_if_interrupted();
        if (deadline && Clock::now() >= *deadline)
            throw TimeoutError(fmt::format("no reply from {} within {}ms", conn.peer(), timeout.count()));
    }
    return replies;
}

// A whole number in decimal, nothing else.
std::optional<long long> decimal_of(std::string_view text) {
    long long v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return v;
}

// An error reply: true when the key or group went away since it was found
// (the entry is skipped); a command refused (NOPERM, unknown command) throws.
bool went_away(const Reply& r) {
    if (r->type != REDIS_REPLY_ERROR) return false;
    std::string_view why = reply_text(r.get());
    for (std::string_view gone : {"ERR no such key", "WRONGTYPE", "NOGROUP"})
        if (why.rfind(gone, 0) == 0) return true;
    throw ReplyError(std::string(why));
}

// The value of `key` in a reply of alternating names and values (XINFO); nullptr when absent.
const redisReply* xinfo_field(const redisReply* r, std::string_view key) {
    if (!r || r->type != REDIS_REPLY_ARRAY) return nullptr;
    for (std::size_t i = 0; i + 1 < r->elements; i += 2)
        if (reply_text(r->element[i]) == key) return r->element[i + 1];
    return nullptr;
}

std::optional<long long> xinfo_integer(const redisReply* r, std::string_view key) {
    const redisReply* v = xinfo_field(r, key);
    if (!v || v->type != REDIS_REPLY_INTEGER) return std::nullopt;
    return v->integer;
}

std::string xinfo_text(const redisReply* r, std::string_view key) { return std::string(reply_text(xinfo_field(r, key))); }

// The ID of an XINFO STREAM first-entry / last-entry ([id, fields], or nil).
std::optional<long long> entry_ms(const redisReply* entry) {
    if (!entry || entry->type != REDIS_REPLY_ARRAY || entry->elements < 1) return std::nullopt;
    return stream_id_ms(reply_text(entry->element[0]));
}

[[noreturn]] void unexpected_reply(std::string_view what) { throw ProtocolError(fmt::format("unexpected reply to {}", what)); }

}  // namespace

long long HistorySnapshot::pending_total() const {
    long long n = 0;
    for (const auto& s : streams)
        for (const auto& g : s.groups) n += g.pending;
    return n;
}

std::optional<long long> stream_id_ms(std::string_view id) { return decimal_of(id.substr(0, id.find('-'))); }

HistorySnapshot unread_history(const Context& ctx, std::string why) {
    HistorySnapshot h;
    h.ns = ctx.history_prefix;
    h.dlq_key = HistoryKeys(ctx.history_prefix).dlq();
    h.not_read = std::move(why);
    return h;
}

HistoryStatsReader::HistoryStatsReader(const Context& ctx, std::size_t scan_limit, HeartbeatTracker& beats,
                                       std::chrono::seconds rescan_every)
    : ctx_(ctx), scan_limit_(scan_limit), beats_(beats), rescan_every_(rescan_every) {}

HistoryStatsReader::~HistoryStatsReader() = default;

void HistoryStatsReader::rescan(Connection& conn) {
    auto timeout = ctx_.connect.reply_timeout;
    // The streams: a full walk (a group missed would be a false green for --check).
    std::string match = glob_escape(ctx_.history_prefix + ":history:{") + "*}";
    std::vector<std::string> keys;
    std::string cursor = "0";
    do {
        Reply r = conn.command({"SCAN", cursor, "MATCH", match, "COUNT", std::to_string(kStreamScanPage), "TYPE", "stream"},
                               timeout);
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[1]->type != REDIS_REPLY_ARRAY)
            unexpected_reply("SCAN");
        cursor.assign(reply_text(r->element[0]));
        for (std::size_t i = 0; i < r->element[1]->elements; ++i) keys.emplace_back(reply_text(r->element[1]->element[i]));
        throw_if_interrupted();
    } while (cursor != "0");
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    stream_keys_ = std::move(keys);
    raptorbus_ = scan_raptorbus_keys(conn, scan_limit_, timeout, beats_);
    scanned_at_ = std::chrono::steady_clock::now();
}

std::vector<HistoryStream> HistoryStatsReader::read_streams(Connection& conn) {
    HistoryKeys keys(ctx_.history_prefix);
    std::vector<std::vector<std::string>> commands;
    for (const auto& k : stream_keys_) {
        commands.push_back({"XINFO", "STREAM", k});
        commands.push_back({"MEMORY", "USAGE", k});
    }
    std::vector<Reply> replies = pipelined_replies(conn, commands, ctx_.connect.reply_timeout);
    std::vector<HistoryStream> out;
    for (std::size_t i = 0; i < stream_keys_.size(); ++i) {
        const Reply& info = replies[2 * i];
        const Reply& memory = replies[2 * i + 1];
        if (went_away(info)) continue;  // deleted (or replaced) since the scan
        HistoryStream s;
        s.key = stream_keys_[i];
        s.channel = std::string(keys.channel_of_stream(s.key));
        s.length = xinfo_integer(info.get(), "length").value_or(0);
        s.oldest_ms = entry_ms(xinfo_field(info.get(), "first-entry"));
        s.newest_ms = entry_ms(xinfo_field(info.get(), "last-entry"));
        if (memory->type == REDIS_REPLY_INTEGER) s.memory_bytes = memory->integer;  // else refused: "-"
        if (xinfo_integer(info.get(), "groups").value_or(0) > 0) read_groups(conn, s);
        out.push_back(std::move(s));
    }
    return out;
}

void HistoryStatsReader::read_groups(Connection& conn, HistoryStream& s) {
    auto timeout = ctx_.connect.reply_timeout;
    Reply groups;
    try {
        groups = conn.command({"XINFO", "GROUPS", s.key}, timeout);
    } catch (const ReplyError&) {
        return;  // the stream was deleted since XINFO STREAM
    }
    if (groups->type != REDIS_REPLY_ARRAY) unexpected_reply("XINFO GROUPS");
    std::vector<std::vector<std::string>> commands;
    for (std::size_t i = 0; i < groups->elements; ++i) {
        const redisReply* g = groups->element[i];
        HistoryGroup group;
        group.name = xinfo_text(g, "name");
        group.pending = xinfo_integer(g, "pending").value_or(0);
        group.lag = xinfo_integer(g, "lag");  // Redis 7; nil after deletions it cannot see past
        group.last_delivered_id = xinfo_text(g, "last-delivered-id");
        commands.push_back({"XINFO", "CONSUMERS", s.key, group.name});
        commands.push_back({"XPENDING", s.key, group.name, "-", "+", "1"});
        if (!group.lag) commands.push_back({"XRANGE", s.key, "(" + group.last_delivered_id, "+", "COUNT",
                                            std::to_string(kLagCountBound)});
        s.groups.push_back(std::move(group));
    }
    std::vector<Reply> replies = pipelined_replies(conn, commands, timeout);
    std::size_t at = 0;
    for (HistoryGroup& group : s.groups) {
        const Reply& consumers = replies[at++];
        const Reply& oldest = replies[at++];
        if (!went_away(consumers) && consumers->type == REDIS_REPLY_ARRAY)
            for (std::size_t i = 0; i < consumers->elements; ++i) {
                const redisReply* c = consumers->element[i];
                group.consumers.push_back({xinfo_text(c, "name"), xinfo_integer(c, "pending").value_or(0),
                                           xinfo_integer(c, "idle").value_or(0)});
            }
        if (!went_away(oldest) && oldest->type == REDIS_REPLY_ARRAY && oldest->elements == 1) {
            const redisReply* e = oldest->element[0];
            if (e->type == REDIS_REPLY_ARRAY && e->elements >= 3 && e->element[2]->type == REDIS_REPLY_INTEGER)
                group.oldest_pending_idle_ms = e->element[2]->integer;
        }
        if (group.lag) continue;
        const Reply& after = replies[at++];
        if (!went_away(after) && after->type == REDIS_REPLY_ARRAY) {
            group.lag = static_cast<long long>(after->elements);
            group.lag_exact = group.lag < kLagCountBound;
        }
    }
}

HistorySnapshot HistoryStatsReader::read(Connection& conn, bool cluster) {
    if (cluster) {
        if (!cluster_) cluster_ = std::make_unique<ClusterHistoryReader>(ctx_, scan_limit_, beats_, rescan_every_);
        return cluster_->read();
    }
    try {
        return read_node(conn, true);
    } catch (const ReplyError& e) {
        // A server that refuses a command (an ACL, a hosted Redis without
        // XINFO or SCAN TYPE): the rest of the report stands, this part says why.
        return unread_history(
            ctx_, fmt::format("history, consumer groups, DLQ and agents not read: the server refused: {}", e.what()));
    }
}

HistorySnapshot HistoryStatsReader::read_node(Connection& conn, bool dlq_here) {
    auto timeout = ctx_.connect.reply_timeout;
    HistorySnapshot h;
    h.ns = ctx_.history_prefix;
    h.dlq_key = HistoryKeys(ctx_.history_prefix).dlq();
    Reply time = conn.command({"TIME"}, timeout);
    if (time->type != REDIS_REPLY_ARRAY || time->elements != 2) unexpected_reply("TIME");
    auto seconds = decimal_of(reply_text(time->element[0]));
    auto micros = decimal_of(reply_text(time->element[1]));
    if (!seconds || !micros) unexpected_reply("TIME");
    h.server_time_ms = *seconds * 1000 + *micros / 1000;
    if (!scanned_at_ || std::chrono::steady_clock::now() - *scanned_at_ >= rescan_every_) rescan(conn);
    h.streams = read_streams(conn);
    try {
        if (dlq_here) h.dlq_length = integer_of(conn.command({"XLEN", h.dlq_key}, timeout).get(), "XLEN");
    } catch (const ReplyError& e) {
        if (std::string_view(e.what()).rfind("WRONGTYPE", 0) == 0)
            throw UsageError(fmt::format("DLQ key {} is not a stream", h.dlq_key));
        throw;
    }
    h.raptorbus = raptorbus_;
    h.agents = beats_.agents(std::chrono::system_clock::now());
    h.agents_alive = static_cast<std::size_t>(
        std::count_if(h.agents.begin(), h.agents.end(), [](const AgentBeat& a) { return a.alive; }));
    return h;
}

std::vector<std::string> history_check_failures(const HistorySnapshot& h, const HistoryThresholds& t) {
    std::vector<std::string> failures;
    for (const auto& s : h.streams)
        for (const auto& g : s.groups) {
            if (t.max_pending && g.pending > *t.max_pending)
                failures.push_back(fmt::format("group {} on {} has {} pending > {}", g.name, s.channel, g.pending,
                                               *t.max_pending));
            if (t.max_lag && g.lag && *g.lag > *t.max_lag)
                failures.push_back(fmt::format("group {} on {} lags {}{} > {}", g.name, s.channel,
                                               g.lag_exact ? "" : "at least ", *g.lag, *t.max_lag));
            else if (t.max_lag && g.lag && !g.lag_exact)  // a lower bound within it says nothing of the lag
                failures.push_back(fmt::format("group {} on {}: lag unknown (at least {}), not checked against {}",
                                               g.name, s.channel, *g.lag, *t.max_lag));
            if (t.max_lag && !g.lag)
                failures.push_back(fmt::format("group {} on {}: lag unknown", g.name, s.channel));
        }
    if (t.max_dlq && h.dlq_length > *t.max_dlq)
        failures.push_back(fmt::format("DLQ {} holds {} > {}", h.dlq_key, h.dlq_length, *t.max_dlq));
    if (t.max_dlq && h.raptorbus.dlq_total() > *t.max_dlq)
        failures.push_back(fmt::format("RaptorBus DLQ holds {}{} record(s) > {}", h.raptorbus.complete ? "" : "at least ",
                                       h.raptorbus.dlq_total(), *t.max_dlq));
    else if (t.max_dlq && !h.raptorbus.complete && h.not_read.empty())  // records past the walk's budget may be there
        failures.push_back(fmt::format("RaptorBus DLQ records not all counted (at least {}; the SCAN stopped at "
                                       "--scan-limit {} keys: raise it to check --max-dlq)",
                                       h.raptorbus.dlq_total(), h.raptorbus.limit));
    if (!h.not_read.empty() && t.any()) failures.push_back(h.not_read);
    if (t.min_agents && static_cast<long long>(h.agents_alive) < *t.min_agents)
        failures.push_back(fmt::format("{} agent(s) alive < {}", h.agents_alive, *t.min_agents));
    return failures;
}

}  // namespace rbus
