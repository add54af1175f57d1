#include "bus/history_merge.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <functional>
#include <utility>

#include <fmt/format.h>

#include "event/event_read.h"
#include "base/duration.h"
#include "event/canonical.h"
#include "event/envelope.h"
#include "base/error.h"
#include "base/uuid.h"

namespace rbus {
namespace {

bool is_stream_id(std::string_view t) {
    std::size_t dash = t.find('-');
    auto digits = [](std::string_view d) {
        return !d.empty() && d.size() <= 20 && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (dash == std::string_view::npos) return digits(t);
    return digits(t.substr(0, dash)) && digits(t.substr(dash + 1));
}

std::string ms_of(SystemTime t) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

// Stream IDs are milliseconds since 1970: a bare number below this (1973-03-03) records nothing.
constexpr std::chrono::milliseconds kBareNumberFloor{100'000'000'000};

// One end of the range: its stream ID and its instant.
void parse_end(std::string_view flag, std::string_view text, SystemTime now, bool is_start, std::string& id,
               std::optional<SystemTime>& at) {
    if (text.empty()) return;
    if (is_stream_id(text)) {
        const std::size_t dash = text.find('-');
        std::string_view ms = text.substr(0, dash);
        if (ms.size() > 15) throw UsageError(fmt::format("invalid {} \"{}\": stream ID out of range", flag, text));
        at = SystemTime(std::chrono::milliseconds(std::stoll(std::string(ms))));
        // A bare number before 1973 in milliseconds is no recorded time: epoch
        // seconds ($(date +%s)), a duration without its unit (5), or --until 0
        // meant as now. Only --since 0, the beginning, is meant so.
        if (std::string_view seq = dash == std::string_view::npos ? "" : text.substr(dash + 1); !seq.empty()) {
            std::uint64_t n = 0;  // the server refuses a sequence past 2^64 - 1 ("ERR Invalid stream ID": exit 1)
            auto [end, ec] = std::from_chars(seq.data(), seq.data() + seq.size(), n);
            if (ec != std::errc() || end != seq.data() + seq.size())
                throw UsageError(fmt::format("invalid {} \"{}\": stream ID out of range", flag, text));
        }
        const bool zero = at->time_since_epoch().count() == 0;  // 0, 00, ...: the beginning
        if (dash == std::string_view::npos && *at < SystemTime(kBareNumberFloor) && (!is_start || !zero))
            throw UsageError(fmt::format("invalid {} \"{}\": a bare number is a stream ID's milliseconds ({}); give "
                                         "a duration with its unit (5m, 0s for now), an RFC 3339 timestamp{}",
                                         flag, text, format_timestamp(*at), is_start ? ", or 0 for the beginning" : ""));
        id = std::string(text);
        return;
    }
    if (auto ts = parse_timestamp(text)) {
        at = *ts;
    } else {
        Duration back;
        try {
            back = parse_duration(text);
        } catch (const UsageError&) {
            throw UsageError(fmt::format("invalid {} \"{}\": use a duration (5m), an RFC 3339 timestamp "
                                         "(2026-11-26T16:10:30Z) or a stream ID (1700000000000-0)",
                                         flag, text));
        }
        at = now - back;
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at->time_since_epoch()).count();
    if (is_start) {
        id = ms_of(*at);  // the first entry of that millisecond
    } else {
        id = std::to_string(ms);  // an end ID of milliseconds alone takes that millisecond's last entry
    }
}

}  // namespace

ReplayRange parse_replay_range(std::string_view since, std::string_view until, SystemTime now) {
    ReplayRange r;
    parse_end("--since", since, now, true, r.start, r.since);
    parse_end("--until", until, now, false, r.end, r.until);
    r.until_given = !until.empty();
    if (r.since && r.until && *r.until < *r.since)
        throw UsageError(fmt::format("--until \"{}\" lies before --since \"{}\"", until, since));
    return r;
}

std::string stream_id_before(std::string_view id) {
    std::uint64_t ms = 0, seq = 0;
    const char* end = id.data() + id.size();
    auto [at, ec] = std::from_chars(id.data(), end, ms);
    if (ec != std::errc()) return "0";  // "-": the stream's start
    if (at != end && *at == '-') std::from_chars(at + 1, end, seq);
    if (seq > 0) return fmt::format("{}-{}", ms, seq - 1);
    if (ms > 0) return fmt::format("{}-{}", ms - 1, UINT64_MAX);
    return "0";
}

char* ReplayMerge::store_block(std::size_t size) {
    constexpr std::size_t kChunk = 64 * 1024;
    if (size > store_left_) {
        std::size_t chunk = std::max(kChunk, size);
        store_.push_back(std::make_unique_for_overwrite<char[]>(chunk));  // written before read: no zeroing
        store_at_ = store_.back().get();
        store_left_ = chunk;
    }
    char* at = store_at_;
    store_at_ += size;
    store_left_ -= size;
    return at;
}

std::string_view ReplayMerge::store(std::string_view text) {
    char* at = store_block(text.size());
    if (!text.empty()) std::memcpy(at, text.data(), text.size());
    return {at, text.size()};
}

namespace {

// Whether `part` lies within `whole` (std::less: the two may be unrelated buffers).
bool lies_in(std::string_view whole, std::string_view part) {
    std::less<const char*> before;
    return !before(part.data(), whole.data()) && !before(whole.data() + whole.size(), part.data() + part.size());
}

}  // namespace

PackedEvent ReplayMerge::pack(std::string_view body, const EventView& v, const EventRead& read,
                              std::string_view& stored_body) {
    using Span = PackedEvent::Span;
    // Block: the body, then the normalised text when it differs, then every
    // field that lies in neither (decoded strings in the reader's buffers).
    const bool text_is_body = v.text == body;
    const std::size_t text_at = text_is_body ? 0 : body.size();
    const std::size_t fixed = text_at + v.text.size();
    auto copied = [&](std::string_view f) { return !f.empty() && !lies_in(v.text, f) && !lies_in(body, f); };
    const std::optional<std::string_view> opts[] = {v.request_id, v.source_agent_id, v.workspace_id, v.timestamp};
    std::size_t size = fixed;
    for (std::string_view f : {v.payload, v.id, v.type, v.priority_text})
        if (copied(f)) size += f.size();
    for (const auto& f : opts)
        if (f && copied(*f)) size += f->size();

    char* block = store_block(size);
    if (!body.empty()) std::memcpy(block, body.data(), body.size());
    if (!text_is_body && !v.text.empty()) std::memcpy(block + text_at, v.text.data(), v.text.size());
    std::size_t tail = fixed;
    auto span = [&](std::string_view f) -> Span {
        auto u32 = [](std::size_t n) { return static_cast<std::uint32_t>(n); };
        if (f.empty()) return {0, 0};
        if (lies_in(v.text, f)) return {u32(text_at + static_cast<std::size_t>(f.data() - v.text.data())), u32(f.size())};
        if (lies_in(body, f)) return {u32(static_cast<std::size_t>(f.data() - body.data())), u32(f.size())};
        std::memcpy(block + tail, f.data(), f.size());
        Span s{u32(tail), u32(f.size())};
        tail += f.size();
        return s;
    };
    auto optional = [&](const std::optional<std::string_view>& f) { return f ? span(*f) : Span{}; };
    PackedEvent p;
    p.base = block;
    p.text = {static_cast<std::uint32_t>(text_at), static_cast<std::uint32_t>(v.text.size())};
    p.payload = span(v.payload);
    p.id = span(v.id);
    p.type = span(v.type);
    p.priority_text = span(v.priority_text);
    p.request_id = optional(v.request_id);
    p.source_agent_id = optional(v.source_agent_id);
    p.workspace_id = optional(v.workspace_id);
    p.timestamp = optional(v.timestamp);
    p.priority = v.priority;
    p.shape = read.shape;
    p.full_read = read.full_read;
    stored_body = {block, body.size()};
    return p;
}

bool ReplayItem::read(EventRead& out) const {
    if (!event.base) return false;
    using Span = PackedEvent::Span;
    auto view = [&](Span s) { return std::string_view(event.base + s.at, s.size); };
    auto optional = [&](Span s) {
        return s.size == PackedEvent::kAbsent ? std::nullopt : std::optional<std::string_view>(view(s));
    };
    EventView& e = out.event;
    e.text = view(event.text);
    e.payload = view(event.payload);
    e.id = view(event.id);
    e.type = view(event.type);
    e.priority_text = view(event.priority_text);
    e.request_id = optional(event.request_id);
    e.source_agent_id = optional(event.source_agent_id);
    e.workspace_id = optional(event.workspace_id);
    e.timestamp = optional(event.timestamp);
    e.priority = event.priority;
    out.error.clear();
    out.shape = event.shape;
    out.full_read = event.full_read;
    return true;
}

bool ReplayMerge::add(std::string_view channel, std::string_view body, std::string_view pattern,
                      const ReplayRange* filter_time) {
    thread_local EnvelopeReader reader;  // one pass (event_read.h), buffers reused
    thread_local std::string normalised;
    std::string_view id, timestamp;
    std::string v5;
    const EventRead& r = reader.read(body);
    if (r.ok()) {
        id = r.event.id;
        if (r.event.timestamp) {  // the pass writes it normalised; anything else is normalised here
            timestamp = *r.event.timestamp;
            if (!is_canonical_timestamp(timestamp)) {
                normalised = normalize_timestamp(timestamp).value_or("");
                timestamp = normalised;
            }
        }
    } else {
        v5 = uuid_v5(body);
        id = v5;
    }
    if (filter_time && (filter_time->since || filter_time->until)) {
        // Without a time (not an envelope, or none in it) it cannot be placed
        // in the range: kept, first in its run, so that it is reported (an
        // invalid message is never dropped without a word) or shown.
        if (auto at = timestamp.empty() ? std::nullopt : parse_timestamp(timestamp)) {
            if (filter_time->since && *at < *filter_time->since) return false;
            if (filter_time->until && *at > *filter_time->until) return false;
        }
    }
    if (collected_.contains(id)) return false;
    ReplayItem item{channel, pattern, {}, {}, {}, {}};
    if (r.ok()) {  // kept as read: delivering it reads nothing again
        item.event = pack(body, r.event, r, item.body);
        item.id = {item.event.base + item.event.id.at, item.event.id.size};
        if (r.event.timestamp && timestamp.data() == r.event.timestamp->data())
            item.timestamp = {item.event.base + item.event.timestamp.at, item.event.timestamp.size};
        else
            item.timestamp = store(timestamp);
    } else {
        item.body = store(body);
        item.id = store(id);
        item.timestamp = store(timestamp);
    }
    collected_.insert(item.id);  // in the store: stays put
    items_.push_back(item);
    return true;
}

namespace {

// A run of collected events, handed out as stored (read once, when collected).
class CollectedRun final : public ReplaySource {
public:
    explicit CollectedRun(std::vector<ReplayItem> items) : items_(std::move(items)) {}
    bool next(ReplayHead& head) override {
        if (at_ == items_.size()) return false;
        if (ahead_ids_ && at_ + kAhead < items_.size()) ahead_ids_->prefetch(items_[at_ + kAhead].id);
        const ReplayItem& item = items_[at_++];
        head.channel = item.channel;
        head.pattern = item.pattern;
        head.body = item.body;
        head.id = item.id;
        head.timestamp = item.timestamp;
        head.read = item.read(read_) ? &read_ : nullptr;
        return true;
    }

private:
    static constexpr std::size_t kAhead = 2;  // events: each takes longer to print than a slot to come from memory
    std::vector<ReplayItem> items_;
    std::size_t at_ = 0;
    EventRead read_;
};

}  // namespace

std::unique_ptr<ReplaySource> ReplayMerge::take_run(bool sort) {
    auto earlier = [](const ReplayItem& a, const ReplayItem& b) { return a.timestamp < b.timestamp; };
    // RaptorBus's msg: keys come in SCAN's order; a run already in order stays as it came.
    if (sort && !std::is_sorted(items_.begin(), items_.end(), earlier))
        std::stable_sort(items_.begin(), items_.end(), earlier);
    return std::make_unique<CollectedRun>(std::exchange(items_, {}));
}

void ReplayMerge::deliver(const std::vector<ReplaySource*>& sources,
                          const std::function<bool(const ReplayHead&)>& deliver) {
    begin(sources);
    resume(deliver);
}

void ReplayMerge::begin(const std::vector<ReplaySource*>& sources) {
    sources_ = sources;
    heads_.assign(sources.size(), ReplayHead{});
    heap_.clear();
    stopped_ = again_ = false;
    for (ReplaySource* s : sources_) s->look_ahead(ids_);
    if (sources_.size() == 1) return;  // one source: its own order, nothing to compare
    for (std::size_t i = 0; i < sources_.size(); ++i)
        if (sources_[i]->next(heads_[i])) heap_.push_back(i);
    std::make_heap(heap_.begin(), heap_.end(), Later{heads_});
}

bool ReplayMerge::resume(const std::function<bool(const ReplayHead&)>& deliver) {
    // Each id once, the first to come: a stream's own copy of an event, in its
    // place in the stream, before the copy in a msg: key.
    auto fresh = [this](const ReplayHead& h) {
        return ids_.insert(h.id, [this](std::string_view id) { return store(id); });
    };
    if (sources_.size() == 1) {
        ReplayHead& head = heads_[0];
        if (std::exchange(stopped_, false) && std::exchange(again_, false) && !deliver(head)) return stopped_ = true;
        while (sources_[0]->next(head))
            if (fresh(head) && !deliver(head)) return stopped_ = true;
        return false;
    }
    const Later later{heads_};
    // The head handed out last (heap_.back()) moves on, unless it is offered again.
    if (std::exchange(stopped_, false)) {
        std::size_t i = heap_.back();
        if (std::exchange(again_, false) && !deliver(heads_[i])) return stopped_ = true;
        if (sources_[i]->next(heads_[i]))
            std::push_heap(heap_.begin(), heap_.end(), later);
        else
            heap_.pop_back();
    }
    while (!heap_.empty()) {
        std::pop_heap(heap_.begin(), heap_.end(), later);
        std::size_t i = heap_.back();
        if (fresh(heads_[i]) && !deliver(heads_[i])) return stopped_ = true;
        if (sources_[i]->next(heads_[i]))
            std::push_heap(heap_.begin(), heap_.end(), later);
        else
            heap_.pop_back();
    }
    return false;
}

}  // namespace rbus
