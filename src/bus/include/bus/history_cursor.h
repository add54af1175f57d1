// A history stream read as it is printed: XRANGE pages of one stream, the next
// page asked for as soon as the current one is in (the server reads it while
// this one is printed). Several cursors may share one connection: each has at
// most one page asked for, the replies are taken in the order asked
// (StreamPages), and each page is copied out of the connection's buffer, so
// that reading one cursor's page never moves another's.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "bus/history_merge.h"
#include "bus/stream_frame.h"
#include "event/event_read.h"
#include "redis/connection.h"

namespace rbus {

class StreamCursor;

// The pages asked for on one connection, in order.
class StreamPages {
public:
    // A page is waited for up to the reply timeout, and no later than
    // `run_until` (the run's --timeout: RunTimedOut).
    StreamPages(Connection& conn, std::chrono::milliseconds reply_timeout, Deadline run_until = std::nullopt)
        : conn_(conn), timeout_(reply_timeout), run_until_(run_until) {}
    // Queues XRANGE key from end COUNT count (ASKING first when `asking`: a
    // slot being imported by this node) for `cursor`; sent by send().
    void ask(StreamCursor& cursor, std::string_view key, std::string_view from, std::string_view end,
             std::string_view count, bool asking);
    void send();
    // Takes replies in order, handing each to its cursor, until `cursor`'s came.
    void wait_for(const StreamCursor& cursor);
    Connection& connection() { return conn_; }

private:
    struct Asked {
        StreamCursor* cursor;
        bool asking;
    };
    std::string_view next_frame(std::string_view what);

    Connection& conn_;
    std::chrono::milliseconds timeout_;
    Deadline run_until_;
    std::deque<Asked> asked_;
};

// How many entries (or keys) to ask for next, by the bytes each took so far:
// as many as fit `bytes`, at most `most`, at least one. A reply past the
// connection's bound (small entries first, then large ones) teaches it what
// an entry may take: shrink() gives the fewer to ask again for.
class PageSizer {
public:
    PageSizer(std::size_t bytes, std::size_t most) : bytes_(bytes), most_(std::max<std::size_t>(most, 1)) {}
    void seen(std::size_t entries, std::size_t bytes) {
        seen_entries_ += entries;
        seen_bytes_ += bytes;
    }
    std::size_t next() const {
        std::size_t each = std::max<std::size_t>({seen_bytes_ / std::max<std::size_t>(seen_entries_, 1), big_each_, 1});
        return std::clamp<std::size_t>(bytes_ / each, 1, most_);
    }
    // `asked` entries were past `bound` bytes (asked > 1).
    std::size_t shrink(std::size_t asked, std::size_t bound) {
        big_each_ = std::max(big_each_, bound / std::max<std::size_t>(asked, 1));
        return std::max<std::size_t>(asked / 8, 1);
    }
    std::size_t most() const { return most_; }

private:
    std::size_t bytes_, most_;
    std::size_t seen_entries_ = 0, seen_bytes_ = 0;
    std::size_t big_each_ = 0;  // bytes an entry may take, learnt from a reply past the bound
};

class StreamCursor final : public ReplaySource {
public:
    // `key` and the views must outlive the cursor. Pages: the first of one
    // entry, each next one as many as fit `page_bytes` by the entries seen so
    // far, never more than `page` (a reply stays well under the connection's
    // bound however large the envelopes: any entry that fits it alone is read).
    static constexpr std::size_t kFirstPage = 1;
    static constexpr std::size_t kPageBytes = 4 << 20;
    StreamCursor(StreamPages& pages, std::string_view key, std::string_view channel, std::string_view pattern,
                 const ReplayRange& range, std::size_t page, bool read_ahead, bool asking = false,
                 std::size_t page_bytes = kPageBytes);
    // Asks for the first page (sent with the others by StreamPages::send()).
    void start();
    // Waits for the first page. Throws UsageError when the key is not a
    // stream, ReplyError for any other error reply (MOVED, ASK: the caller
    // follows), TimeoutError past the reply timeout.
    void first_page();
    // The next entry's envelope ("" for an entry without one); false at the
    // end. For reading a stream whole (collect_stream), not mixed with next()
    // under the merge's look_ahead, which reads an entry ahead.
    bool next_envelope(std::string_view& body);
    // The next entry with an envelope, read (EnvelopeReader) for the merge.
    // Under the merge (look_ahead) the entry after it in the page is read
    // too, with a second reader, so that its id's slot in the merge's set is
    // on its way from memory while this one is printed.
    bool next(ReplayHead& head) override;

    std::string_view key() const { return key_; }
    std::size_t entries() const { return entries_; }  // entries read so far

private:
    friend class StreamPages;
    void receive(std::string_view frame);  // the reply to the page asked for
    void fail(std::string error);          // an error reply instead
    // The page asked for was past the connection's bound `bound` (skipped):
    // asks again for fewer entries. Throws ProtocolError when it was one.
    void too_large(std::size_t bound);
    void ask();
    void load_page();  // waits for the page asked for and reads it in

    StreamPages& pages_;
    std::string_view key_, channel_, pattern_;
    const ReplayRange& range_;
    PageSizer sizer_;
    std::size_t count_;  // entries asked for in the page on its way
    bool read_ahead_, asking_;
    bool asked_ = false, arrived_ = false, last_ = false;
    std::string page_, next_page_, error_, from_;
    std::vector<FrameEntry> page_entries_;
    std::size_t at_ = 0, entries_ = 0;
    // Reads `body` into `head` with readers_[side_], then flips side_: the
    // head handed out keeps its views while the following one is read.
    void read_entry(std::string_view body, ReplayHead& head);

    EnvelopeReader readers_[2];
    std::string normalised_[2], v5_[2];
    int side_ = 0;
    bool ahead_ = false;  // ahead_head_ holds the next entry, read
    ReplayHead ahead_head_;
};

}  // namespace rbus
