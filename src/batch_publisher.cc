#include "batch_publisher.h"

#include <poll.h>

#include <algorithm>

#include <fmt/format.h>

#include "duration.h"
#include "error.h"
#include "log.h"
#include "publisher.h"
#include "signals.h"

namespace rbus {

void interruptible_sleep(std::chrono::milliseconds d) {
    auto end = Clock::now() + d;
    while (!pending_signal()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
        if (left <= 0) return;
        ::poll(nullptr, 0, static_cast<int>(std::min<long long>(left, 100)));
    }
}

BatchPublisher::BatchPublisher(Connector connect, BatchOptions options, BatchHandlers handlers, Sleeper sleep)
    : connect_(std::move(connect)), options_(options), handlers_(std::move(handlers)), sleep_(std::move(sleep)) {}

void BatchPublisher::start() { conn_ = connect_(); }

bool BatchPublisher::window_full(std::size_t next_bytes) const {
    if (inflight_.empty()) return false;
    return inflight_.size() >= options_.window_events || inflight_bytes_ + next_bytes > options_.window_bytes;
}

void BatchPublisher::append(const BatchEvent& ev) {
    conn_->append({"PUBLISH", ev.channel, ev.body});
    if (options_.record_metrics) conn_->append({"INCR", metrics_key(ev.channel)});
}

void BatchPublisher::fail(const BatchEvent& ev, const std::string& reason) {
    ++failed_;
    if (handlers_.failed) handlers_.failed(ev, reason);
}

template <class Op>
void BatchPublisher::guarded(Op&& op) {
    if (down_) return;
    try {
        op();
    } catch (const ConnectError& e) {  // IoError and TimeoutError included
        recover(e.what());
    }
}

void BatchPublisher::recover(const std::string& why) {
    conn_.reset();
    // A PUBLISH already confirmed is not sent again, even when its INCR reply was lost.
    while (!inflight_.empty() && inflight_.front().acked) {
        inflight_bytes_ -= inflight_.front().ev.body.size();
        inflight_.pop_front();
    }
    std::string last = why;
    std::chrono::milliseconds delay = options_.backoff_initial;
    for (int attempt = 1; attempt <= options_.retries && !pending_signal(); ++attempt) {
        logger().warn(fmt::format("{}: {}; reconnecting in {} (attempt {} of {}), {} event(s) to resend",
                                  attempt == 1 ? "connection lost" : "reconnect failed", last, format_duration(delay),
                                  attempt, options_.retries, inflight_.size()));
        sleep_(delay);
        delay = std::min(delay * 2, options_.backoff_max);
        try {
            conn_ = connect_();
            for (const InFlight& f : inflight_) append(f.ev);
            conn_->flush(deadline_after(options_.reply_timeout));
            ++reconnects_;
            logger().warn(fmt::format("reconnected to {}; resent {} event(s)", conn_->peer(), inflight_.size()));
            return;
        } catch (const ConnectError& e) {
            conn_.reset();
            last = e.what();
        }
    }
    down_ = true;
    down_reason_ = options_.retries > 0
                       ? fmt::format("bus unreachable after {} reconnect attempt(s): {}", options_.retries, last)
                       : fmt::format("connection lost: {}", last);
    logger().warn(down_reason_);
    for (const InFlight& f : inflight_) fail(f.ev, down_reason_);
    inflight_.clear();
    inflight_bytes_ = 0;
}

bool BatchPublisher::read_one(Deadline deadline) {
    Reply r = conn_->read_reply(deadline);
    if (!r) return false;  // deadline passed, or a signal came
    if (inflight_.empty()) throw ProtocolError(fmt::format("unexpected reply from {}", conn_->peer()));
    InFlight& front = inflight_.front();
    bool done = true;
    if (!front.acked) {
        if (r->type == REDIS_REPLY_ERROR) {
            fail(front.ev, fmt::format("{} refused PUBLISH: {}", conn_->peer(), reply_text(r.get())));
        } else {
            ++published_;
            if (handlers_.published) handlers_.published(front.ev, r->integer);
        }
        if (options_.record_metrics) {
            front.acked = true;
            done = false;
        }
    } else if (r->type == REDIS_REPLY_ERROR) {
        logger().warn(fmt::format("{} refused INCR {}: {}", conn_->peer(), metrics_key(front.ev.channel),
                                  reply_text(r.get())));
    }
    if (done) {
        inflight_bytes_ -= front.ev.body.size();
        inflight_.pop_front();
    }
    return true;
}

void BatchPublisher::add(BatchEvent ev) {
    while (!down_ && window_full(ev.body.size())) {
        guarded([&] {
            conn_->flush(deadline_after(options_.reply_timeout));
            Deadline deadline = deadline_after(options_.reply_timeout);
            while (!read_one(deadline)) {
                if (deadline && Clock::now() >= *deadline)
                    throw TimeoutError(fmt::format("no reply from {} within {}", conn_->peer(),
                                                   format_duration(options_.reply_timeout)));
            }
        });
    }
    if (down_) {
        fail(ev, down_reason_);
        return;
    }
    inflight_bytes_ += ev.body.size();
    inflight_.push_back({std::move(ev), false});
    guarded([&] {
        append(inflight_.back().ev);
        if (conn_->pending_bytes() >= 64 * 1024) conn_->flush(deadline_after(options_.reply_timeout));
    });
}

void BatchPublisher::flush() {
    guarded([&] {
        conn_->flush(deadline_after(options_.reply_timeout));
        while (!inflight_.empty() && read_one(Clock::now())) {
        }
    });
}

void BatchPublisher::finish() {
    while (!down_ && !inflight_.empty()) {
        guarded([&] {
            conn_->flush(deadline_after(options_.reply_timeout));
            Deadline deadline = deadline_after(options_.reply_timeout);
            while (!inflight_.empty()) {
                if (read_one(deadline)) {
                    deadline = deadline_after(options_.reply_timeout);
                } else if (deadline && Clock::now() >= *deadline) {
                    throw TimeoutError(fmt::format("no reply from {} within {}", conn_->peer(),
                                                   format_duration(options_.reply_timeout)));
                }
            }
        });
    }
}

}  // namespace rbus
