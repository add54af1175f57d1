#include "bus/history_merge.h"

#include <algorithm>
#include <cctype>
#include <cstring>

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

// One end of the range: its stream ID and its instant.
void parse_end(std::string_view flag, std::string_view text, SystemTime now, bool is_start, std::string& id,
               std::optional<SystemTime>& at) {
    if (text.empty()) return;
    if (is_stream_id(text)) {
        std::string_view ms = text.substr(0, text.find('-'));
        if (ms.size() > 15) throw UsageError(fmt::format("invalid {} \"{}\": stream ID out of range", flag, text));
        at = SystemTime(std::chrono::milliseconds(std::stoll(std::string(ms))));
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

std::string_view ReplayMerge::store(std::string_view text) {
    constexpr std::size_t kChunk = 64 * 1024;
    if (text.size() > store_left_) {
        std::size_t size = std::max(kChunk, text.size());
        store_.push_back(std::make_unique<char[]>(size));
        store_at_ = store_.back().get();
        store_left_ = size;
    }
    char* at = store_at_;
    if (!text.empty()) std::memcpy(at, text.data(), text.size());
    store_at_ += text.size();
    store_left_ -= text.size();
    return {at, text.size()};
}

bool ReplayMerge::add(std::string_view channel, std::string_view body, std::string_view pattern,
                      const ReplayRange* filter_time) {
    thread_local EnvelopeReader reader;  // one pass (event_read.h), buffers reused
    thread_local std::string normalised;
    std::string_view id, timestamp;
    std::string v5;
    if (const EventRead& r = reader.read(body); r.ok()) {
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
        auto at = timestamp.empty() ? std::nullopt : parse_timestamp(timestamp);
        if (!at) return false;  // no time: cannot be placed in the range
        if (filter_time->since && *at < *filter_time->since) return false;
        if (filter_time->until && *at > *filter_time->until) return false;
    }
    if (ids_.count(id)) return false;
    ReplayItem item{channel, pattern, store(body), store(id), store(timestamp), next_++};
    ids_.insert(item.id);
    items_.push_back(item);
    return true;
}

std::vector<ReplayItem> ReplayMerge::take_sorted() {
    auto earlier = [](const ReplayItem& a, const ReplayItem& b) { return a.timestamp < b.timestamp; };
    // History streams are written in time order: most replays are sorted already.
    if (!std::is_sorted(items_.begin(), items_.end(), earlier)) std::stable_sort(items_.begin(), items_.end(), earlier);
    return std::move(items_);
}

}  // namespace rbus
