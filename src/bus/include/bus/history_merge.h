// Replay's ordering and de-duplication, apart from any I/O. Events come from
// sources, each in its own order: a history stream read page by page as it is
// printed (history_cursor.h), or a run of events collected here (RaptorBus's
// msg: keys, which SCAN finds in no order, sorted by envelope timestamp; a
// stream read whole on a Cluster, kept in its order). The merge hands them out
// k-way by envelope timestamp (ties: the earlier source first), each event id
// once; the ids handed out are remembered, so that the live events that
// follow skip what the replay already showed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/id_set.h"
#include "base/timestamp.h"
#include "event/event_read.h"

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

// The stream ID just before `id` (1700000000000-5 -> 1700000000000-4,
// 1700000000000 or -0 -> 1699999999999-18446744073709551615, 0 or - -> 0):
// where a consumer group starts (XGROUP CREATE names the last entry it has
// seen) so that it reads the entry at `id` itself, as a replay from it does.
std::string stream_id_before(std::string_view id);

// What the reader made of an event when the merge took it in, kept as
// offsets into its stored copy (the body, the normalised text when it
// differs, then any decoded field): the replay reads each event once, and
// 200,000 of them cost 72 bytes each beside their text.
struct PackedEvent {
    static constexpr std::uint32_t kAbsent = UINT32_MAX;
    struct Span {
        std::uint32_t at = 0, size = kAbsent;
    };
    const char* base = nullptr;  // nullptr: the event was invalid (read again when delivered, for its reason)
    Span text, payload, id, type, priority_text, request_id, source_agent_id, workspace_id, timestamp;
    Priority priority = Priority::normal;
    Shape shape = Shape::rbus;
    bool full_read = false;
};

struct ReplayItem {
    std::string_view channel, pattern;
    // Views into the merge's own store: valid as long as the merge.
    std::string_view body, id;
    std::string_view timestamp;  // normalised (RFC 3339 UTC micro Z), "" when unreadable
    PackedEvent event;
    // The event as the reader read it, views into the merge's store; false
    // (out untouched) when it was invalid.
    bool read(EventRead& out) const;
};

// The event at the head of a source, as the merge orders and hands it out.
// Views into the source: valid until its next().
struct ReplayHead {
    std::string_view channel, pattern, body;
    std::string_view id;         // the envelope's id, or the v5 id of a message that is not an envelope
    std::string_view timestamp;  // normalised (RFC 3339 UTC micro Z), "" when unreadable (such events come first)
    const EventRead* read = nullptr;  // nullptr: invalid (read again when delivered, for its reason)
};

// One ordered source of replayed events.
class ReplaySource {
public:
    virtual ~ReplaySource() = default;
    // The following event into `head`; false at the end.
    virtual bool next(ReplayHead& head) = 0;
    // The set the merge will look each id up in: a source that knows the id
    // of an event it will hand out soon asks the memory for its slot (IdSet::prefetch).
    void look_ahead(const IdSet& ids) { ahead_ids_ = &ids; }

protected:
    const IdSet* ahead_ids_ = nullptr;
};

class ReplayMerge {
public:
    // Collecting: adds one event to the current run unless its id was
    // collected before. `filter_time`: drop it when its envelope timestamp lies outside
    // the range (msg: keys, whose keys carry no time); one without a time is
    // kept (it sorts first: an invalid one is reported). The body is copied (the
    // reply it came in can go); channel and pattern are views that must
    // outlive the merge's use.
    bool add(std::string_view channel, std::string_view body, std::string_view pattern, const ReplayRange* filter_time);
    // The events added since the last take, as one source: sorted by
    // timestamp (stably) when `sort`, else in the order added (a stream's own).
    std::unique_ptr<ReplaySource> take_run(bool sort);
    // The k-way merge: every event of the sources, in timestamp order (ties:
    // the earlier source; each source in its own order), each id once (the
    // first to come), to `deliver` until it returns false. The ids handed out
    // are remembered.
    void deliver(const std::vector<ReplaySource*>& sources, const std::function<bool(const ReplayHead&)>& deliver);
    // The same in steps: begin() takes the sources, resume() hands out events
    // until `deliver` returns false (true then: a later resume() goes on after
    // that event) or all are handed out (false).
    void begin(const std::vector<ReplaySource*>& sources);
    bool resume(const std::function<bool(const ReplayHead&)>& deliver);
    // After a resume() that stopped: the event it stopped at is offered again
    // first by the next resume() (`deliver` returned false without taking it).
    void offer_again() { again_ = stopped_; }
    // True when an event with this id was handed out (a live event already replayed).
    bool replayed(std::string_view id) const { return ids_.contains(id); }
    // True when an event with this id was collected (a msg: key whose event a stream gave).
    bool collected(std::string_view id) const { return collected_.contains(id); }
    std::size_t collected_size() const { return collected_.size(); }
    // Room for n events handed out without growing.
    void reserve(std::size_t n) { ids_.reserve(n); }

private:
    // `size` contiguous bytes in the store: chunks that never move, so views stay.
    char* store_block(std::size_t size);
    std::string_view store(std::string_view text);
    // The reader's view of `body` packed into one stored block.
    PackedEvent pack(std::string_view body, const EventView& view, const EventRead& read, std::string_view& stored_body);

    // The min-heap's order: the sources by their head's timestamp, then by their place.
    struct Later {
        const std::vector<ReplayHead>& heads;
        bool operator()(std::size_t a, std::size_t b) const {
            int c = heads[a].timestamp.compare(heads[b].timestamp);
            return c != 0 ? c > 0 : a > b;
        }
    };

    std::vector<ReplayItem> items_;
    // The merge in steps: its sources, their heads, the heap of those not at
    // their end; stopped_: a resume() ended at an event (again_: to offer it again).
    std::vector<ReplaySource*> sources_;
    std::vector<ReplayHead> heads_;
    std::vector<std::size_t> heap_;
    bool stopped_ = false, again_ = false;
    IdSet collected_, ids_;  // views into store_
    std::vector<std::unique_ptr<char[]>> store_;
    std::size_t store_left_ = 0;
    char* store_at_ = nullptr;
};

}  // namespace rbus
