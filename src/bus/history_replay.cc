#include "bus/history_replay.h"

#include <algorithm>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "redis/connect.h"
#include "base/error.h"
#include "bus/cluster_slots.h"
#include "bus/history_options.h"
#include "bus/stream_frame.h"
#include "base/log.h"
#include "base/named_file.h"
#include "base/signals.h"

namespace rbus {
namespace {

constexpr std::size_t kPage = 1000;  // XRANGE COUNT, SCAN COUNT, MGET keys per command

}  // namespace

void add_replay_options(CLI::App& app, ReplayFlags& flags) {
    const char* g = "History";
    app.add_option("--since", flags.since,
                   "first replay history from DUR ago, a TIMESTAMP or a stream ID, then go live")
        ->type_name("DUR|TIMESTAMP|ID")
        ->group(g);
    app.add_option("--until", flags.until, "replay history up to DUR ago, a TIMESTAMP or an ID, then exit 0")
        ->type_name("DUR|TIMESTAMP|ID")
        ->group(g);
}

HistoryReplay::HistoryReplay(const Context& ctx, std::vector<Subscription> subs, ReplayRange range)
    : ctx_(ctx), subs_(std::move(subs)), range_(std::move(range)), keys_(ctx.history_prefix) {}

Reply HistoryReplay::keep(Reply r) {
    replies_.push_back(std::move(r));
    return nullptr;
}

std::vector<std::string_view> HistoryReplay::scan(Connection& conn, const std::string& match, const char* type) {
    std::vector<std::string_view> found;
    std::string cursor = "0";
    std::string count = std::to_string(kPage);
    do {
        Reply r = conn.command({"SCAN", cursor, "MATCH", match, "COUNT", count, "TYPE", type},
                               ctx_.connect.reply_timeout);
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[1]->type != REDIS_REPLY_ARRAY)
            throw ProtocolError("unexpected reply to SCAN");
        cursor.assign(reply_text(r->element[0]));
        const redisReply* keys = r->element[1];
        for (std::size_t i = 0; i < keys->elements; ++i) found.push_back(reply_text(keys->element[i]));
        keep(std::move(r));
        throw_if_interrupted();
    } while (cursor != "0");
    return found;
}

void HistoryReplay::read_stream(Connection& conn, const std::string& key, std::string_view pattern) {
    std::string count = std::to_string(kPage);
    std::string_view channel = keys_.channel_of_stream(key);
    std::vector<FrameEntry> entries;
    bool any = false;
    std::string next;
    // The next page is asked for as soon as this one's last ID is known, so the
    // server reads it while this one is being merged.
    auto ask = [&](std::string_view from) {
        conn.append({"XRANGE", key, from, range_.end, "COUNT", count});
        conn.flush(deadline_after(ctx_.connect.reply_timeout));
    };
    ask(range_.start);
    for (;;) {
        Deadline deadline = deadline_after(ctx_.connect.reply_timeout);
        std::optional<std::string_view> frame;
        while (!(frame = conn.read_frame(deadline))) {
            throw_if_interrupted();
            if (deadline && Clock::now() >= *deadline)
                throw TimeoutError(fmt::format("no reply from {} to XRANGE within {}ms", conn.peer(),
                                               ctx_.connect.reply_timeout.count()));
        }
        // Read in place (stream_frame.h): the page's bytes hold until the next
        // read, which comes after this page is merged (the merge copies what it keeps).
        entries.clear();
        if (auto error = parse_entries_frame(*frame, entries, "XRANGE")) {
            if (error->rfind("WRONGTYPE", 0) == 0) throw UsageError(fmt::format("history key {} is not a stream", key));
            throw ReplyError(std::string(*error));
        }
        bool last = entries.size() < kPage;
        if (!last) {
            next.assign("(").append(entries.back().id);
            ask(next);
        }
        for (const FrameEntry& e : entries) {
            any = true;
            ++sources_.stream_events;
            std::string_view body = e.envelope;
            if (!body.empty()) merge_.add(channel, body, pattern, nullptr);
        }
        throw_if_interrupted();
        if (last) break;
    }
    if (any || !pattern.empty()) sources_.streams.push_back(key);
}

void HistoryReplay::read_streams(Connection& conn, const Subscription& sub) {
    if (!sub.pattern) {
        names_.push_back(keys_.stream(sub.name));
        read_stream(conn, names_.back(), {});
        return;
    }
    for (std::string_view key : scan(conn, keys_.stream_pattern(sub.name), "stream")) {
        names_.emplace_back(key);
        read_stream(conn, names_.back(), sub.name);
    }
}

void HistoryReplay::read_msg_keys(Connection& conn, const Subscription& sub) {
    std::vector<std::string_view> keys =
        scan(conn, raptorbus_msg_pattern(sub.pattern ? sub.name : glob_escape(sub.name)), "string");
    sources_.msg_keys += keys.size();
    std::string_view pattern = sub.pattern ? std::string_view(sub.name) : std::string_view();
    drop_replayed(keys);
    for (std::size_t at = 0; at < keys.size(); at += kPage) {
        std::vector<std::string_view> args{"MGET"};
        std::size_t end = std::min(keys.size(), at + kPage);
        args.insert(args.end(), keys.begin() + static_cast<std::ptrdiff_t>(at),
                    keys.begin() + static_cast<std::ptrdiff_t>(end));
        Reply r = conn.command(args, ctx_.connect.reply_timeout);
        if (r->type != REDIS_REPLY_ARRAY || r->elements != end - at) throw ProtocolError("unexpected reply to MGET");
        add_msg_values(keys, at, r->element, r->elements, pattern);
        throw_if_interrupted();
    }
}

void HistoryReplay::drop_replayed(std::vector<std::string_view>& msg_keys) const {
    // msg:{channel}:{id}: an event a history stream already gave (rbus-publish
    // --history writes both) would be dropped as a duplicate: not fetched.
    msg_keys.erase(std::remove_if(msg_keys.begin(), msg_keys.end(),
                                  [&](std::string_view key) {
                                      std::size_t colon = key.rfind(':');
                                      return colon != std::string_view::npos && merge_.replayed(key.substr(colon + 1));
                                  }),
                   msg_keys.end());
}

void HistoryReplay::add_msg_values(const std::vector<std::string_view>& keys, std::size_t at,
                                   const redisReply* const* values, std::size_t n, std::string_view pattern) {
    for (std::size_t i = 0; i < n; ++i) {
        const redisReply* v = values[i];
        if (!v || v->type != REDIS_REPLY_STRING) continue;  // expired since the SCAN
        std::string_view key = keys[at + i];
        std::size_t colon = key.rfind(':');
        if (colon == std::string_view::npos || colon < 4) continue;
        ++sources_.msg_events;
        merge_.add(key.substr(4, colon - 4), reply_text(v), pattern, &range_);
    }
}

void HistoryReplay::warn_if_none(const Subscription& sub, std::size_t streams_before, std::size_t msg_before) {
    if (sources_.streams.size() == streams_before && sources_.msg_keys == msg_before)
        logger().warn("no history for {}: nothing recorded it (rbus-publish --history, rbus-subscribe "
                      "--mirror, or RaptorBus's publish_event())",
                      sub.name);
}

void HistoryReplay::read() {
    std::unique_ptr<Connection> conn;
    if (!cluster_by_flags(ctx_)) {
        conn = connect_bus(ctx_.connect, "rbus-replay");
        if (is_cluster_node(*conn, ctx_.connect.reply_timeout)) conn.reset();  // one node of a cluster as the URL
    }
    if (!conn) {
        read_cluster();
    } else {
        for (const Subscription& sub : subs_) {
            std::size_t before = merge_.size(), streams_before = sources_.streams.size();
            std::size_t msg_before = sources_.msg_keys;
            read_streams(*conn, sub);
            read_msg_keys(*conn, sub);
            warn_if_none(sub, streams_before, msg_before);
            logger().debug("replay {}: {} event(s)", sub.name, merge_.size() - before);
        }
    }
    logger().info("replay read {} stream(s) ({} entries){}{}, and {} msg: key(s){}: {} event(s) to replay",
                  sources_.streams.size(), sources_.stream_events, sources_.streams.empty() ? "" : " ",
                  fmt::join(sources_.streams, ", "), sources_.msg_keys,
                  log_lazy([this] { return masters_ > 0 ? fmt::format(" on {} cluster master(s)", masters_) : std::string(); }),
                  merge_.size());
}

void HistoryReplay::deliver(const ConsumeHandlers::Deliver& deliver) {
    std::vector<ReplayItem> items = merge_.take_sorted();
    EventRead read;
    for (const ReplayItem& item : items)
        if (!deliver(BusMessage{item.channel, item.body, item.pattern}, item.read(read) ? &read : nullptr)) break;
    replies_.clear();
    names_.clear();
}

namespace {

// --until: the replay alone, with --count and --timeout as a live run has them.
int replay_only(HistoryReplay& replay, const ConsumeOptions& o, const ConsumeHandlers& h, ConsumeStats& st) {
    Deadline deadline = deadline_after(o.timeout);
    if (!o.ready_file.empty()) remove_stale_ready_file(o.ready_file);
    replay.read();
    if (!o.ready_file.empty()) create_ready_file(o.ready_file);
    bool done = o.count && *o.count == 0;
    bool late = false;
    EnvelopeReader reader;
    if (!done) {
        replay.deliver([&](const BusMessage& m, const EventRead* read) {
            ++st.received;
            if (deliver_message(m, h, reader, o.max_bytes, read) && o.count && ++st.matched >= *o.count) done = true;
            if (deadline && Clock::now() >= *deadline) late = true;
            return !done && !late && !pending_signal();
        });
    }
    if (h.on_burst) h.on_burst();
    if (int sig = pending_signal()) return signal_exit_code(sig);
    if (late && !done && o.count) return kExitTimeout;
    return kExitOk;
}

}  // namespace

int consume_with_history(const Context& ctx, const std::string& client_name, const std::vector<Subscription>& subs,
                         const ReplayFlags& flags, const ConsumeOptions& options, const ConsumeHandlers& handlers,
                         ConsumeStats* stats) {
    if (!flags.given()) return consume_subscriptions(ctx, client_name, subs, options, handlers, stats);
    ReplayRange range = parse_replay_range(flags.since, flags.until, std::chrono::system_clock::now());
    auto replay = std::make_shared<HistoryReplay>(ctx, subs, range);
    ConsumeStats local;
    ConsumeStats& st = stats ? *stats : local;
    if (range.until_given) return replay_only(*replay, options, handlers, st);

    // Live events already replayed are skipped; the replayed ones themselves pass.
    auto replaying = std::make_shared<bool>(false);
    ConsumeHandlers h = handlers;
    h.on_event = [replay, replaying, inner = handlers.on_event](const ReceivedEvent& ev) {
        if (!*replaying && ev.read.ok() && replay->merge().replayed(ev.read.event.id)) return false;
        return inner(ev);
    };
    h.on_subscribed = [replay, replaying](const ConsumeHandlers::Deliver& deliver) {
        replay->read();
        *replaying = true;
        replay->deliver(deliver);
        *replaying = false;
    };
    return consume_subscriptions(ctx, client_name, subs, options, h, &st);
}

}  // namespace rbus
