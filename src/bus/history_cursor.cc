#include "bus/history_cursor.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/error.h"
#include "base/signals.h"
#include "base/timestamp.h"
#include "base/uuid.h"
#include "bus/history_keys.h"
#include "bus/history_scan.h"
#include "event/canonical.h"

namespace rbus {
namespace {

// The text of an error reply's frame ("-ERR ...\r\n"), or nullopt for any other reply.
std::optional<std::string_view> error_line(std::string_view frame) {
    if (frame.empty() || frame[0] != '-') return std::nullopt;
    frame.remove_prefix(1);
    return frame.substr(0, frame.find('\r'));
}

}  // namespace

void StreamPages::ask(StreamCursor& cursor, std::string_view key, std::string_view from, std::string_view end,
                      std::string_view count, bool asking) {
    if (asking) conn_.append({"ASKING"});
    conn_.append({"XRANGE", key, from, end, "COUNT", count});
    asked_.push_back({&cursor, asking});
}

void StreamPages::send() {
    if (conn_.pending_bytes() > 0) conn_.flush(deadline_after(timeout_));
}

std::string_view StreamPages::next_frame(std::string_view what) {
    Deadline deadline = deadline_after(timeout_);
    for (;;) {
        if (std::optional<std::string_view> frame = conn_.read_frame(earlier(deadline, run_until_))) return *frame;
        throw_if_interrupted();
        throw_if_run_over(run_until_, {"the server sent the replay's next history page"});
        if (deadline && Clock::now() >= *deadline)
            throw TimeoutError(fmt::format("no reply from {} to {} within {}ms", conn_.peer(), what, timeout_.count()));
    }
}

void StreamPages::wait_for(const StreamCursor& cursor) {
    send();
    while (!cursor.arrived_) {
        if (asked_.empty()) throw ProtocolError("a history page was awaited that was never asked for");
        Asked a = asked_.front();
        asked_.pop_front();
        // The frame's bytes hold until the next read: each page is copied out.
        if (a.asking) {
            if (auto refused = error_line(next_frame("ASKING"))) {
                std::string error = fmt::format("{} refused ASKING: {}", conn_.peer(), *refused);
                next_frame("XRANGE");
                a.cursor->fail(std::move(error));
                continue;
            }
        }
        std::string_view frame;
        try {
            frame = next_frame("XRANGE");
        } catch (const ReplyTooLarge&) {  // small entries, then large ones: read past it, ask for fewer
            a.cursor->too_large(conn_.max_reply_bytes());  // asks again (or throws: one entry alone)
            conn_.skip_frame(deadline_after(timeout_));
            send();
            continue;
        }
        a.cursor->receive(frame);
    }
}

StreamCursor::StreamCursor(StreamPages& pages, std::string_view key, std::string_view channel,
                           std::string_view pattern, const ReplayRange& range, std::size_t page, bool read_ahead,
                           bool asking, std::size_t page_bytes)
    : pages_(pages), key_(key), channel_(channel), pattern_(pattern), range_(range), sizer_(page_bytes, page),
      count_(std::min(sizer_.most(), kFirstPage)), read_ahead_(read_ahead), asking_(asking),
      from_(range.start) {}

void StreamCursor::ask() {
    pages_.ask(*this, key_, from_, range_.end, std::to_string(count_), asking_);
    asked_ = true;
    arrived_ = false;
}

void StreamCursor::start() {
    if (!asked_) ask();
}

void StreamCursor::receive(std::string_view frame) {
    if (auto error = error_line(frame)) {
        fail(std::string(*error));
        return;
    }
    next_page_.assign(frame);
    arrived_ = true;
}

void StreamCursor::too_large(std::size_t bound) {
    if (count_ <= 1) {
        std::string at = from_.empty() || from_ == "-" ? "at its start"
                         : from_.front() == '('       ? "after entry " + from_.substr(1)
                                                      : "at entry " + from_;
        throw ProtocolError(fmt::format("an entry of {} {} is larger than {} bytes: not read", key_, at, bound));
    }
    count_ = sizer_.shrink(count_, bound);
    ask();
}

void StreamCursor::fail(std::string error) {
    error_ = std::move(error);
    arrived_ = true;
}

void StreamCursor::load_page() {
    if (!asked_) ask();
    pages_.wait_for(*this);
    asked_ = false;
    if (!error_.empty()) {
        std::string error = std::exchange(error_, {});
        arrived_ = false;
        if (error.rfind("WRONGTYPE", 0) == 0) throw not_a_stream_error(key_);
        throw ReplyError(error);
    }
    page_.swap(next_page_);
    if (!read_ahead_) std::string().swap(next_page_);  // many streams: one page each held, not two
    arrived_ = false;
    page_entries_.clear();
    at_ = 0;
    if (auto error = parse_entries_frame(page_, page_entries_, "XRANGE")) throw ReplyError(std::string(*error));
    entries_ += page_entries_.size();
    sizer_.seen(page_entries_.size(), page_.size());
    if (page_entries_.size() < count_) {
        last_ = true;
        return;
    }
    from_.assign("(").append(page_entries_.back().id);
    count_ = sizer_.next();
    if (read_ahead_) {
        ask();
        pages_.send();
    }
}

void StreamCursor::first_page() {
    load_page();
}

bool StreamCursor::next_envelope(std::string_view& body) {
    while (at_ == page_entries_.size()) {
        if (last_) return false;
        throw_if_interrupted();
        load_page();
    }
    body = page_entries_[at_++].envelope;
    return true;
}

void StreamCursor::read_entry(std::string_view body, ReplayHead& head) {
    const int side = side_;
    side_ ^= 1;
    const EventRead& r = readers_[side].read(body);
    head.channel = channel_;
    head.pattern = pattern_;
    head.body = body;
    if (!r.ok()) {
        v5_[side] = uuid_v5(body);
        head.id = v5_[side];
        head.timestamp = {};
        head.read = nullptr;
        return;
    }
    head.id = r.event.id;
    head.read = &r;
    head.timestamp = {};
    if (r.event.timestamp) {  // the reader writes it normalised; anything else is normalised here
        head.timestamp = *r.event.timestamp;
        if (!is_canonical_timestamp(head.timestamp)) {
            normalised_[side] = normalize_timestamp(head.timestamp).value_or("");
            head.timestamp = normalised_[side];
        }
    }
}

bool StreamCursor::next(ReplayHead& head) {
    if (ahead_) {
        head = ahead_head_;
        ahead_ = false;
    } else {
        std::string_view body;
        do {
            if (!next_envelope(body)) return false;
        } while (body.empty());  // an entry without an envelope (deleted, or not rbus's)
        read_entry(body, head);
    }
    if (ahead_ids_) {  // the next entry of this page, read now (a page's bytes stay until the next load)
        while (at_ < page_entries_.size() && page_entries_[at_].envelope.empty()) ++at_;
        if (at_ < page_entries_.size()) {
            read_entry(page_entries_[at_++].envelope, ahead_head_);
            ahead_ids_->prefetch(ahead_head_.id);
            ahead_ = true;
        }
    }
    return true;
}

}  // namespace rbus
