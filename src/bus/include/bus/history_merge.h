// Replay's ordering and de-duplication, apart from any I/O: events from the
// history streams and RaptorBus's msg: keys go in, each event id once, out in
// envelope-timestamp order (ties keep the order they came in, so a stream's
// own order stands); the ids handed out are remembered, so that the live
// events that follow skip what the replay already showed.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/timestamp.h"

namespace rbus {

// Where a replay starts and ends: XRANGE bounds for the streams, and the same
// instants for filtering msg: keys by their envelope timestamp.
struct ReplayRange {
    std::string start = "-", end = "+";
    std::optional<SystemTime> since, until;
    bool until_given = false;
};

// --since / --until: a duration back from `now` (5m), an RFC 3339 timestamp,
// or a stream entry ID (1700000000000-0, or its milliseconds alone). Throws
// UsageError naming the flag. An empty text leaves that end open.
ReplayRange parse_replay_range(std::string_view since, std::string_view until, SystemTime now);

struct ReplayItem {
    std::string_view channel, pattern;
    // Views into the merge's own store: valid as long as the merge.
    std::string_view body, id;
    std::string_view timestamp;  // normalised (RFC 3339 UTC micro Z), "" when unreadable
    std::size_t order = 0;
};

class ReplayMerge {
public:
    // Adds one event unless its id was added before. `filter_time`: drop it
    // when its envelope timestamp lies outside the range (msg: keys, whose
    // keys carry no time). The body is copied (the reply it came in can go);
    // channel and pattern are views that must outlive the merge's use.
    bool add(std::string_view channel, std::string_view body, std::string_view pattern, const ReplayRange* filter_time);
    // Everything added, in timestamp order; the merge keeps the ids.
    std::vector<ReplayItem> take_sorted();
    // True when an event with this id was added (a live event already
    // replayed, or a msg: key whose event a stream gave).
    bool replayed(std::string_view id) const { return ids_.count(id) > 0; }
    std::size_t size() const { return ids_.size(); }

private:
    // A copy of `text` in the store: chunks that never move, so views stay.
    std::string_view store(std::string_view text);

    std::vector<ReplayItem> items_;
    std::unordered_set<std::string_view> ids_;  // views into store_
    std::vector<std::unique_ptr<char[]>> store_;
    std::size_t store_left_ = 0;
    char* store_at_ = nullptr;
    std::size_t next_ = 0;
};

}  // namespace rbus
