#include "tail/tail_dlq.h"

#include <fnmatch.h>
#include <unistd.h>

#include <fmt/format.h>

#include "redis/connect.h"
#include "base/error.h"
#include "json/json_paint.h"
#include "bus/history_keys.h"
#include "bus/history_merge.h"
#include "bus/history_options.h"
#include "base/log.h"
#include "base/named_file.h"
#include "base/safe_text.h"
#include "base/signals.h"
#include "bus/subscriber.h"
#include "tail/tail_session.h"
#include "base/timestamp.h"

namespace rbus {

std::optional<DlqEntry> dlq_announcement(std::string_view channel, std::string_view data) {
    std::optional<DlqEntry> e = parse_raptorbus_record({}, data);
    if (!e) return std::nullopt;
    constexpr std::string_view kPrefix = "sys.dlq.";
    if (e->reason.empty() && channel.substr(0, kPrefix.size()) == kPrefix)
        e->reason = std::string(channel.substr(kPrefix.size()));
    return e;
}

std::string dlq_identity(const DlqEntry& e) {
    std::string id;
    id.reserve(e.reason.size() + e.failed_at.size() + e.envelope.size() + 2);
    id.append(e.reason).append(1, '\n').append(e.failed_at).append(1, '\n').append(e.envelope);
    return id;
}

DlqView::DlqView(TailDlqStyle style, EventFilter filter, StdoutWriter& out, const std::string& record_path)
    : style_(std::move(style)), filter_(std::move(filter)), out_(out) {
    if (!style_.json) {
        TailLineStyle ls;
        ls.color = style_.color;
        ls.width = style_.terminal ? terminal_width(STDOUT_FILENO) : 0;
        ls.trace = style_.trace;
        line_ = make_tail_line_formatter(ls);
    }
    if (!record_path.empty()) record_.emplace(record_path, "record file");
}

namespace {

bool type_selected(const std::vector<std::string>& globs, std::string_view type) {
    if (globs.empty()) return true;
    std::string t(type);
    for (const std::string& g : globs)
        if (fnmatch(g.c_str(), t.c_str(), 0) == 0) return true;
    return false;
}

// Why the event is dead, for the person reading: "DLQ max_retries_exceeded
// (handler failed ...)", with where it was published when its type does not say.
std::string dlq_note(const DlqEntry& e, std::string_view type) {
    std::string note = "DLQ " + (e.reason.empty() ? std::string("-") : e.reason);
    std::string_view ch = e.original_channel;
    bool channel_says_type =
        !type.empty() && ch.size() > type.size() && ch.substr(ch.size() - type.size()) == type &&
        ch[ch.size() - type.size() - 1] == '.';
    if (!ch.empty() && !channel_says_type) note += fmt::format(" on {}", ch);
    if (!e.error_details.empty()) note += fmt::format(": {}", e.error_details);
    return terminal_safe(note);
}

}  // namespace

std::optional<std::string> DlqView::line(const DlqEntry& e) {
    const EventRead* read = nullptr;
    if (!e.envelope.empty()) {
        const EventRead& r = reader_.read(e.envelope);
        if (r.ok()) read = &r;
    }
    if (!type_selected(style_.type_globs, read ? read->event.type : std::string_view{})) return std::nullopt;
    if (!filter_.empty() && (!read || !filter_.matches(read->event))) return std::nullopt;
    recorded_.assign(read ? read->event.text : std::string_view{});
    std::string out;
    if (style_.json) {
        out = dlq_line(e);
        if (style_.color) out = colorize_json(Json::parse(out));
        else if (style_.terminal) out = json_terminal_safe(out);
        summary_.shown(read ? read->event.type : "(no event)", read ? read->event.priority_text : "-");
        return out;
    }
    EventView view;
    if (read) view = read->event;
    else view.type = "(no event)";
    if (!e.failed_at.empty()) view.timestamp = e.failed_at;  // the time it failed
    BusMessage m{e.original_channel, e.envelope, {}};
    line_->format_noted(FormatInput{m, view, std::chrono::system_clock::now()}, dlq_note(e, read ? view.type : ""),
                        out);
    if (!read)  // no payload: no gap after the note
        while (!out.empty() && out.back() == ' ') out.pop_back();
    summary_.shown(view.type, read ? view.priority_text : "-");
    return out;
}

bool DlqView::show(const DlqEntry& e) {
    std::optional<std::string> text = line(e);
    if (!text) return false;
    out_.line(*text);
    if (record_ && !recorded_.empty()) record_->append(recorded_);
    return true;
}

void DlqView::invalid(std::string_view channel, std::string_view data) {
    summary_.invalid();
    logger().warn("skipped a message on {} that is not a DLQ record: {}{}", channel, data.substr(0, 60),
                  data.size() > 60 ? "..." : "");
}

void DlqView::flush() {
    out_.flush();
    if (record_) record_->flush();
    if (line_ && style_.terminal) line_->set_width(terminal_width(STDOUT_FILENO));
}

std::string dlq_summary(const DlqView& view, const ConsumeStats& stats, std::string_view filters) {
    TailSummary::Totals t;
    t.filters = std::string(filters);
    t.received = stats.received;
    t.reconnects = stats.reconnects;
    t.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - view.started_);
    return view.summary_.render(t);
}

namespace {

std::vector<DlqEntry> stored_entries(const Context& ctx, const ReplayRange& range) {
    std::unique_ptr<Connection> conn;
    std::unique_ptr<ClusterSlots> cluster = open_history_bus(ctx, "rbus-tail-dlq", conn);
    DlqSelection sel;
    sel.range = range;
    HistoryKeys keys(ctx.history_prefix);
    std::vector<DlqEntry> entries =
        cluster ? read_dlq(*cluster, keys, sel) : read_dlq(*conn, keys, sel, ctx.connect.reply_timeout);
    logger().info("{} stored DLQ entr{} since {}", entries.size(), entries.size() == 1 ? "y" : "ies",
                  log_lazy([&] { return range.since ? format_timestamp(*range.since) : std::string("the start"); }));
    return entries;
}

// --until: the stored entries alone.
int stored_only(const Context& ctx, DlqView& view, const ReplayRange& range, const ConsumeOptions& o,
                ConsumeStats& st) {
    Deadline deadline = deadline_after(o.timeout);
    if (!o.ready_file.empty()) remove_stale_ready_file(o.ready_file);
    std::vector<DlqEntry> entries = stored_entries(ctx, range);
    if (!o.ready_file.empty()) create_ready_file(o.ready_file);
    bool done = o.count && *o.count == 0;
    for (const DlqEntry& e : entries) {
        if (done || pending_signal() || (deadline && Clock::now() >= *deadline)) break;
        ++st.received;
        if (view.show(e) && o.count && ++st.matched >= *o.count) done = true;
    }
    view.flush();
    if (int sig = pending_signal()) return signal_exit_code(sig);
    if (!done && o.count) {
        st.history_ran_out = !(deadline && Clock::now() >= *deadline);
        return kExitTimeout;
    }
    return kExitOk;
}

}  // namespace

int run_tail_dlq(const Context& ctx, DlqView& view, const std::string& since, const std::string& until,
                 const ConsumeOptions& options, ConsumeStats& stats) {
    bool replay = !since.empty() || !until.empty();
    ReplayRange range;
    if (replay) {
        range = parse_replay_range(since, until, std::chrono::system_clock::now());
        if (range.until_given) return stored_only(ctx, view, range, options, stats);
    }
    std::set<std::string> shown_stored;  // identities of stored entries, not shown again live
    const DlqEntry* stored = nullptr;    // the stored entry being delivered
    ConsumeHandlers h;
    h.on_event = [&](const ReceivedEvent& ev) {
        if (stored) return view.show(*stored);
        std::optional<DlqEntry> e = dlq_announcement(ev.message.channel, ev.message.data);
        if (!e) {
            view.invalid(ev.message.channel, ev.message.data);
            return false;
        }
        if (!shown_stored.empty() && shown_stored.erase(dlq_identity(*e))) return false;
        return view.show(*e);
    };
    h.on_burst = [&] { view.flush(); };
    if (replay) {
        h.on_subscribed = [&](const ConsumeHandlers::Deliver& deliver) {
            std::vector<DlqEntry> entries = stored_entries(ctx, range);
            for (const DlqEntry& e : entries) shown_stored.insert(dlq_identity(e));
            for (const DlqEntry& e : entries) {
                stored = &e;
                std::string channel = raptorbus_dlq_channel(e.reason);
                bool more = deliver(BusMessage{channel, e.envelope, {}}, nullptr);
                stored = nullptr;
                if (!more) break;
            }
        };
    }
    ConnectOptions connect = ctx.connect;
    connect.max_reply_bytes = reply_bound(options.max_bytes);
    // Always plain: the announcements are a pattern, and the dead-letter list is one key.
    auto subscribe = [&connect] {
        auto sub = std::make_unique<Subscriber>(connect, "rbus-tail-dlq",
                                                std::vector{Subscription{std::string(kDlqAnnouncePattern), true}});
        sub->start();
        return std::unique_ptr<BusSubscriber>(std::move(sub));
    };
    return consume(subscribe, options, h, &stats);
}

}  // namespace rbus
