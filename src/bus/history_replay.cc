#include "bus/history_replay.h"

#include <algorithm>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "redis/connect.h"
#include "base/error.h"
#include "bus/cluster_slots.h"
#include "bus/history_options.h"
#include "bus/history_cursor.h"
#include "bus/history_scan.h"
#include "base/log.h"
#include "base/named_file.h"
#include "base/signals.h"

namespace rbus {
namespace {

constexpr std::size_t kPage = 1000;  // XRANGE COUNT, MGET keys per command
// Stream pages held at once when a pattern finds many streams: entries in all
// first pages together, the smallest page, and up to how many streams each
// asks for its next page ahead.
constexpr std::size_t kPagesBudget = 200000;
constexpr std::size_t kMinPage = 10;
// The same in bytes: pages of all streams together, and the smallest a page aims at.
constexpr std::size_t kPagesBytes = 64 << 20;
constexpr std::size_t kMinPageBytes = 64 << 10;
constexpr std::size_t kReadAheadStreams = 64;
// How often (in events handed out ahead) the SCAN's reply is looked for: a
// step of it takes the server about as long as printing 300 events here.
constexpr std::size_t kPollEvery = 32;
// Ids made room for before a replay: 1 Mi (24 MiB), not a stream's whole
// length (--since 5m or --count 1 on a stream of millions).
constexpr std::size_t kReserveIds = std::size_t(1) << 20;

}  // namespace

void add_replay_options(CLI::App& app, ReplayFlags& flags) {
    const char* g = "History";
    // An empty value (an unset $t0 in a CI script) is an error, not "no --since": live only would pass silently.
    app.add_option("--since", flags.since,
                   "first replay history from DUR ago, a TIMESTAMP or a stream ID, then go live")
        ->type_name("DUR|TIMESTAMP|ID")
        ->check(not_empty("value"))
        ->group(g);
    app.add_option("--until", flags.until, "replay history up to DUR ago, a TIMESTAMP or an ID, then exit 0")
        ->type_name("DUR|TIMESTAMP|ID")
        ->check(not_empty("value"))
        ->group(g);
}

HistoryReplay::HistoryReplay(const Context& ctx, std::vector<Subscription> subs, ReplayRange range)
    : ctx_(ctx), subs_(std::move(subs)), range_(std::move(range)), keys_(ctx.history_prefix) {}

std::vector<std::string_view> HistoryReplay::scan(Connection& conn, const std::string& match, const char* type) {
    return scan_keys(conn, match, type, ctx_.connect.reply_timeout, replies_, run_until_);
}

void HistoryReplay::collect_stream(Connection& conn, std::string_view key, std::string_view pattern, bool asking) {
    StreamPages pages(conn, ctx_.connect.reply_timeout, run_until_);
    StreamCursor cursor(pages, key, keys_.channel_of_stream(key), pattern, range_, kPage, true, asking);
    cursor.start();
    cursor.first_page();
    std::string_view channel = keys_.channel_of_stream(key), body;
    for (std::size_t n = 1; cursor.next_envelope(body); ++n) {
        if (!body.empty()) merge_.add(channel, body, pattern, nullptr);
        if ((n & 1023) == 0) throw_if_run_over(run_until_);
    }
    sources_.stream_events += cursor.entries();
    if (cursor.entries() > 0 || !pattern.empty()) sources_.streams.emplace_back(key);
}

std::vector<std::string_view> HistoryReplay::stream_keys(Connection& conn, const Subscription& sub) {
    if (sub.pattern) {
        // Keys of every type: one that is not a stream is exit 2, as for one type.
        std::vector<std::string_view> keys = scan(conn, keys_.stream_pattern(sub.name), nullptr);
        for (std::string_view& key : keys) key = names_.emplace_back(key);
        return keys;
    }
    return {names_.emplace_back(keys_.stream(sub.name))};
}

std::vector<std::vector<std::string_view>> HistoryReplay::scan_msg_keys(Connection& conn) {
    return rbus::scan_msg_keys(conn, subs_, ctx_.connect.reply_timeout, replies_, run_until_);
}

std::size_t HistoryReplay::stream_lengths(Connection& conn, const std::vector<std::string_view>& keys) {
    for (std::string_view key : keys) conn.append({"XLEN", key});
    conn.flush(deadline_after(ctx_.connect.reply_timeout));
    std::size_t total = 0;
    std::optional<std::string> wrong;
    for (std::string_view key : keys) {  // every reply read, whatever came before
        std::optional<IntegerReply> r;
        Deadline deadline = deadline_after(ctx_.connect.reply_timeout);
        while (!(r = conn.read_integer_reply(deadline))) {
            throw_if_interrupted();
            if (deadline && Clock::now() >= *deadline)
                throw TimeoutError(fmt::format("no reply from {} to XLEN within {}ms", conn.peer(),
                                               ctx_.connect.reply_timeout.count()));
        }
        if (r->error && !wrong) wrong = r->text.rfind("WRONGTYPE", 0) == 0
                                            ? not_a_stream_message(key)
                                            : r->text;
        if (!r->error && r->value > 0) total += static_cast<std::size_t>(r->value);
    }
    if (wrong) throw UsageError(*wrong);
    return total;
}

void HistoryReplay::read_msg_keys(Connection& conn, const std::vector<std::string_view>& keys, std::string_view pattern) {
    // As many keys a MGET as fit a page's bytes by the values seen so far (the
    // first alone), at most kPage: a reply stays well under the connection's bound.
    PageSizer sizer(StreamCursor::kPageBytes, kPage);
    std::size_t batch = StreamCursor::kFirstPage;
    for (std::size_t at = 0, end; at < keys.size(); at = end) {
        std::vector<std::string_view> args{"MGET"};
        end = std::min(keys.size(), at + batch);
        args.insert(args.end(), keys.begin() + static_cast<std::ptrdiff_t>(at),
                    keys.begin() + static_cast<std::ptrdiff_t>(end));
        Reply r;
        try {
            r = command_until(conn, args, ctx_.connect.reply_timeout, run_until_);
        } catch (const ReplyTooLarge&) {  // small values, then large ones: read past it, ask for fewer
            if (end - at == 1)
                throw ProtocolError(fmt::format("msg: key {} is larger than {} bytes: not read", keys[at],
                                                conn.max_reply_bytes()));
            conn.skip_frame(deadline_after(ctx_.connect.reply_timeout));
            batch = sizer.shrink(end - at, conn.max_reply_bytes());
            end = at;
            continue;
        }
        if (r->type != REDIS_REPLY_ARRAY || r->elements != end - at) throw ProtocolError("unexpected reply to MGET");
        add_msg_values(keys, at, r->element, r->elements, pattern);
        std::size_t bytes = 0;
        for (std::size_t i = 0; i < r->elements; ++i) bytes += r->element[i]->len + 16;
        sizer.seen(r->elements, bytes);
        batch = sizer.next();
        throw_if_interrupted();
        throw_if_run_over(run_until_);
    }
}

void HistoryReplay::drop_replayed(std::vector<std::string_view>& msg_keys) const {
    // msg:{channel}:{id}: an event a history stream already gave (rbus-publish
    // --history writes both) would be dropped as a duplicate: not fetched.
    msg_keys.erase(std::remove_if(msg_keys.begin(), msg_keys.end(),
                                  [&](std::string_view key) {
                                      std::size_t colon = key.rfind(':');
                                      return colon != std::string_view::npos && merge_.collected(key.substr(colon + 1));
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
        merge_.add(key.substr(4, colon - 4), reply_text(v), pattern, &range_);
    }
}

void HistoryReplay::warn_if_none(const Subscription& sub, bool any) {
    if (!any)
        logger().warn("no history for {}: nothing recorded it (rbus-publish --history, rbus-subscribe "
                      "--mirror, or RaptorBus's publish_event())",
                      sub.name);
}

bool HistoryReplay::connect_node() {
    if (!cluster_by_flags(ctx_)) {
        conn_ = connect_bus(ctx_.connect, "rbus-replay");
        if (is_cluster_node(*conn_, ctx_.connect.reply_timeout)) conn_.reset();  // one node of a cluster as the URL
    }
    return conn_ != nullptr;
}

bool HistoryReplay::read(bool ahead) {
    if (!connect_node()) {
        read_cluster();
        return false;
    }
    // Every source found first, while the connection still answers commands
    // in turn (the streams read as they are delivered keep pages asked for on it).
    const std::size_t n = subs_.size();
    streams_.assign(n, {});
    lengths_.assign(n, 0);
    for (std::size_t i = 0; i < n; ++i) streams_[i] = stream_keys(*conn_, subs_[i]);
    for (std::size_t i = 0; i < n; ++i) lengths_[i] = streams_[i].empty() ? 0 : stream_lengths(*conn_, streams_[i]);
    if (ahead && start_ahead()) return true;
    read_sources(scan_msg_keys(*conn_));
    return false;
}

void HistoryReplay::read_sources(std::vector<std::vector<std::string_view>> msg_keys) {
    const std::size_t n = subs_.size();
    std::vector<std::vector<std::string_view>> streams = streams_;
    std::vector<ReplaySource*> msg_runs(n, nullptr);
    // RaptorBus's msg: keys come in no order: read whole first (they live an
    // hour or so), sorted, then merged with the streams. When they are about
    // as many as the streams' entries (rbus-publish --history writes both),
    // the streams are read whole first instead and the msg: keys of events
    // they gave are not fetched: what is held is of the same order either way,
    // and the reading is halved.
    std::vector<std::vector<ReplaySource*>> stream_runs(n);
    for (std::size_t i = 0; i < n; ++i) {
        std::vector<std::string_view>& keys = msg_keys[i];
        sources_.msg_keys += keys.size();
        if (keys.empty()) continue;
        std::string_view pattern = subs_[i].pattern ? std::string_view(subs_[i].name) : std::string_view();
        if (!streams[i].empty() && keys.size() * 2 >= lengths_[i]) {
            for (std::string_view key : streams[i]) {
                collect_stream(*conn_, key, pattern, false);
                stream_runs[i].push_back(add_run(merge_.take_run(false)));
            }
            streams[i].clear();
            drop_replayed(keys);
        }
        read_msg_keys(*conn_, keys, pattern);
        msg_runs[i] = add_run(merge_.take_run(true));
    }
    // Room for the ids the merge may hand out (the streams' whole lengths, for
    // a range that may be less), up to what a large replay would grow to anyway.
    std::size_t most = merge_.collected_size();
    for (std::size_t i = 0; i < n; ++i) most += lengths_[i];
    merge_.reserve(std::min(most, kReserveIds));
    open_cursors(streams);
    // Every first page in one round trip (a key of the wrong type fails here);
    // ties in the merge go to the earlier subscription, its streams before its msg: keys.
    std::vector<bool> any = order_sources(streams, stream_runs, msg_runs);
    for (std::size_t i = 0; i < n; ++i) warn_if_none(subs_[i], any[i]);
}

void HistoryReplay::open_cursors(const std::vector<std::vector<std::string_view>>& streams) {
    // The streams, read as they are delivered, all on this connection. What is
    // held at once stays bounded however many streams a pattern finds: pages
    // shrink as streams grow in number, and past a few streams only the page
    // being printed is held (no read-ahead).
    std::size_t streamed = 0;
    for (const auto& keys : streams) streamed += keys.size();
    std::size_t page = std::clamp<std::size_t>(kPagesBudget / std::max<std::size_t>(streamed, 1), kMinPage, kPage);
    std::size_t page_bytes = std::clamp<std::size_t>(kPagesBytes / std::max<std::size_t>(streamed, 1), kMinPageBytes,
                                                     StreamCursor::kPageBytes);
    pages_ = std::make_unique<StreamPages>(*conn_, ctx_.connect.reply_timeout, run_until_);
    for (std::size_t i = 0; i < streams.size(); ++i) {
        std::string_view pattern = subs_[i].pattern ? std::string_view(subs_[i].name) : std::string_view();
        for (std::string_view key : streams[i]) {
            cursors_.push_back(std::make_unique<StreamCursor>(*pages_, key, keys_.channel_of_stream(key), pattern,
                                                              range_, page, streamed <= kReadAheadStreams, false,
                                                              page_bytes));
            cursors_.back()->start();
        }
    }
    pages_->send();
}

std::vector<bool> HistoryReplay::order_sources(const std::vector<std::vector<std::string_view>>& streams,
                                               const std::vector<std::vector<ReplaySource*>>& stream_runs,
                                               const std::vector<ReplaySource*>& msg_runs) {
    std::vector<bool> any(subs_.size());
    for (std::size_t i = 0, c = 0; i < subs_.size(); ++i) {
        any[i] = msg_runs[i] != nullptr;
        sources_order_.insert(sources_order_.end(), stream_runs[i].begin(), stream_runs[i].end());
        for (std::size_t k = 0; k < streams[i].size(); ++k, ++c) {
            StreamCursor& cursor = *cursors_[c];
            cursor.first_page();
            if (cursor.entries() > 0 || subs_[i].pattern) {
                sources_.streams.emplace_back(cursor.key());
                any[i] = true;
            }
            sources_order_.push_back(&cursor);
            throw_if_interrupted();
        }
        if (msg_runs[i]) sources_order_.push_back(msg_runs[i]);
    }
    return any;
}

bool HistoryReplay::start_ahead() {
    // The SCAN for msg: keys walks on a second connection while the streams,
    // opened as if there were none, are handed out. A server that takes no
    // second connection (maxclients, a proxy): the SCAN first, as without --until.
    try {
        scan_conn_ = connect_bus(ctx_.connect, "rbus-replay");
    } catch (const Interrupted&) {
        throw;
    } catch (const Error& e) {
        logger().info("no second connection for the SCAN ({}): it runs before the replay prints", e.what());
        return false;
    }
    const std::size_t n = subs_.size();
    std::size_t most = 0;
    for (std::size_t i = 0; i < n; ++i) most += lengths_[i];
    merge_.reserve(std::min(most, kReserveIds));
    open_cursors(streams_);
    scan_ = std::make_unique<StepScan>(*scan_conn_, subs_, ctx_.connect.reply_timeout, run_until_);
    any_stream_ = order_sources(streams_, std::vector<std::vector<ReplaySource*>>(n), std::vector<ReplaySource*>(n));
    merge_.begin(sources_order_);
    begun_ = true;
    return true;
}

void HistoryReplay::deliver_ahead(const AheadDeliver& deliver) {
    if (!scan_) return;
    std::size_t n = 0;
    bool before = false;
    merge_.resume([&](const ReplayHead& h) {
        Ahead a = deliver(BusMessage{h.channel, h.body, h.pattern}, h.read);
        if (a == Ahead::stop_before) {
            before = true;
            return false;
        }
        ++replayed_;
        ++sources_.read_ahead;
        if (a == Ahead::stop) return false;
        // The SCAN's next step goes out once its reply is seen here.
        return !(++n % kPollEvery == 0 && (scan_->poll() || scan_->found_any()));
    });
    if (before) merge_.offer_again();
}

bool HistoryReplay::finish_scan() {
    if (!scan_) return false;
    msg_keys_ = scan_->finish(replies_);
    scan_.reset();
    bool found = std::any_of(msg_keys_.begin(), msg_keys_.end(), [](const auto& keys) { return !keys.empty(); });
    if (!found)
        for (std::size_t i = 0; i < subs_.size(); ++i) warn_if_none(subs_[i], any_stream_[i]);
    return found;
}

void HistoryReplay::read_again() {
    // The first connection still owes the pages asked for ahead: the SCAN's takes over.
    sources_order_.clear();
    cursors_.clear();
    pages_.reset();
    runs_.clear();
    merge_ = ReplayMerge();
    begun_ = false;
    replayed_ = 0;
    sources_.streams.clear();
    sources_.stream_events = sources_.msg_keys = 0;
    sources_.taken_back = std::exchange(sources_.read_ahead, 0);
    conn_ = std::move(scan_conn_);
    read_sources(std::move(msg_keys_));
}

ReplaySource* HistoryReplay::add_run(std::unique_ptr<ReplaySource> run) {
    runs_.push_back(std::move(run));
    return runs_.back().get();
}

void HistoryReplay::deliver(const ConsumeHandlers::Deliver& deliver) {
    if (!std::exchange(begun_, true)) merge_.begin(sources_order_);
    merge_.resume([&](const ReplayHead& h) {
        ++replayed_;
        return deliver(BusMessage{h.channel, h.body, h.pattern}, h.read);
    });
    end();
}

void HistoryReplay::end() {
    scan_.reset();
    scan_conn_.reset();
    std::size_t entries = sources_.stream_events;
    for (const auto& c : cursors_) entries += c->entries();
    logger().info("replay read {} stream(s) ({} entries){}{}, and {} msg: key(s){}: {} event(s) replayed",
                  sources_.streams.size(), entries, sources_.streams.empty() ? "" : " ",
                  fmt::join(sources_.streams, ", "), sources_.msg_keys,
                  log_lazy([this] { return masters_ > 0 ? fmt::format(" on {} cluster master(s)", masters_) : std::string(); }),
                  replayed_);
    if (sources_.taken_back > 0)
        logger().info("{} event(s) printed ahead while the SCAN for msg: keys walked were taken back (it found "
                      "some): the replay started again with them in place",
                      sources_.taken_back);
    else if (sources_.read_ahead > 0)
        logger().info("{} event(s) printed ahead while the SCAN for msg: keys walked (it found none)",
                      sources_.read_ahead);
    sources_order_.clear();
    runs_.clear();
    cursors_.clear();
    pages_.reset();
    conn_.reset();
    replies_.clear();
    names_.clear();
}

namespace {

constexpr std::size_t kClockEveryBytes = 1 << 20;

void log_timed_out(const RunTimedOut& e) {
    logger().warn("the --timeout came before {}: nothing more is printed", e.before);
}

// The replay's part of replay_only: sets `late` when --timeout came first.
void replay_until(HistoryReplay& replay, const ConsumeOptions& o, const ConsumeHandlers& h, ConsumeStats& st,
                  Deadline deadline, bool& done, bool& late);

// --until: the replay alone, with --count and --timeout as a live run has them.
int replay_only(HistoryReplay& replay, const ConsumeOptions& o, const ConsumeHandlers& h, ConsumeStats& st) {
    Deadline deadline = deadline_after(o.timeout);
    replay.set_run_deadline(deadline);
    if (!o.ready_file.empty()) remove_stale_ready_file(o.ready_file);
    bool done = o.count && *o.count == 0;
    bool late = false;
    try {
        replay_until(replay, o, h, st, deadline, done, late);
    } catch (const RunTimedOut& e) {  // what was held is dropped (never shown, nor counted)
        log_timed_out(e);
        late = true;
    }
    if (h.on_burst) h.on_burst();
    if (int sig = pending_signal()) return signal_exit_code(sig);
    if (!done && o.count) {  // too few, by --timeout or in the whole range
        st.history_ran_out = !late;
        return kExitTimeout;
    }
    return kExitOk;
}

void replay_until(HistoryReplay& replay, const ConsumeOptions& o, const ConsumeHandlers& h, ConsumeStats& st,
                  Deadline deadline, bool& done, bool& late) {
    EnvelopeReader reader;
    std::size_t unclocked = 0;  // bytes handed out since the clock was read
    auto deliver = [&](const BusMessage& m, const EventRead* read) {
        ++st.received;
        if (deliver_message(m, h, reader, o.max_bytes, read) && ++st.matched && o.count && st.matched >= *o.count)
            done = true;  // every match counted (--metrics), not only under --count
        // The clock read every 64 events, or sooner when they are large (each takes long to print).
        unclocked += m.data.size();
        if (deadline && ((st.received & 63) == 0 || unclocked >= kClockEveryBytes)) {
            unclocked = 0;
            if (Clock::now() >= *deadline) late = true;
        }
        return !done && !late && !pending_signal();
    };
    // Printed ahead while the SCAN for msg: keys walks, held until it says
    // none goes first (else taken back and replayed again with them).
    using Held = ConsumeHandlers::Held;
    const bool ahead = !done && h.hold_output ? replay.read(true) : (replay.read(), false);
    if (!o.ready_file.empty()) create_ready_file(o.ready_file);
    if (ahead) {
        const ConsumeStats before = st;
        h.hold_output(Held::hold);
        struct Drop {  // held output never written on the way out by an error, a signal or --timeout, nor counted
            const ConsumeHandlers& h;
            ConsumeStats& st;
            const ConsumeStats& before;
            bool& done;
            bool armed = true;
            ~Drop() {
                if (!armed) return;
                h.hold_output(Held::discard);
                st = before;
                done = false;  // --count was reached only in what is dropped
            }
        } drop{h, st, before, done};
        replay.deliver_ahead([&](const BusMessage& m, const EventRead* read) {
            using Ahead = HistoryReplay::Ahead;
            if (!read || m.data.size() > o.max_bytes) return Ahead::stop_before;  // its report is not held
            if (!deliver(m, read)) return Ahead::stop;
            return h.hold_output(Held::size) >= ConsumeHandlers::kHeldAtMost ? Ahead::stop : Ahead::go;
        });
        bool found = replay.finish_scan();
        if (pending_signal()) return;  // dropped (drop); the caller exits for the signal
        drop.armed = false;
        if (found) {
            h.hold_output(Held::discard);
            st = before;
            done = late = false;
            replay.read_again();
        } else {
            h.hold_output(Held::release);
        }
    }
    if (!done && !late && !pending_signal())
        replay.deliver(deliver);
    else if (ahead)
        replay.end();  // it stopped while handing out ahead
    if (!done && deadline && Clock::now() >= *deadline) late = true;  // the last events' printing took it past
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
        try {
            replay->read();
            *replaying = true;
            replay->deliver(deliver);
            *replaying = false;
        } catch (const RunTimedOut& e) {
            log_timed_out(e);
            throw;
        }
    };
    replay->set_run_deadline(deadline_after(options.timeout));  // the consume loop's, as near as can be
    return consume_subscriptions(ctx, client_name, subs, options, h, &st);
}

}  // namespace rbus
