#include "bus/batch_publisher.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "base/duration.h"
#include "base/error.h"
#include "base/log.h"
#include "bus/publisher.h"
#include "base/signals.h"

namespace rbus {

Envelope envelope_of(const BatchEvent& ev) {
    ReadResult r = read_envelope(ev.body);
    if (!r.ok()) throw Error(fmt::format("line {}: cannot read back the envelope: {}", ev.line, r.error));
    return std::move(*r.envelope);
}

BatchPublisher::BatchPublisher(Connector connect, BatchOptions options, BatchHandlers handlers, Sleeper sleep)
    : connect_(std::move(connect)), options_(options), handlers_(std::move(handlers)), sleep_(std::move(sleep)) {}

void BatchPublisher::start() {
    conn_ = connect_();
    if (options_.on_connect) options_.on_connect(*conn_);
    store_.reserve(options_.window_bytes + options_.window_bytes / 2);  // grows only for unusually big events
}

bool BatchPublisher::window_full(std::size_t next_bytes) const {
    if (inflight_.empty()) return false;
    return inflight_.size() >= options_.window_events || inflight_bytes_ + next_bytes > options_.window_bytes;
}

BatchEvent BatchPublisher::view(const InFlight& f) const {
    const char* at = store_.data() + (f.offset - store_base_);
    return BatchEvent{f.line, {at, f.channel_size}, {at + f.channel_size, f.body_size}};
}

void BatchPublisher::pop_front() {
    const InFlight& f = inflight_.front();
    inflight_bytes_ -= f.body_size;
    inflight_.pop_front();
    if (inflight_.empty()) {
        store_base_ += store_.size();
        store_.clear();
    } else if (std::size_t used = inflight_.front().offset - store_base_; used >= options_.window_bytes) {
        store_.erase(0, used);  // now and then: the store stays within about two windows
        store_base_ += used;
    }
}

void BatchPublisher::append(const BatchEvent& ev) {
    if (options_.write_command) {
        command_.clear();
        options_.write_command(command_, ev);
        conn_->append_raw(command_);
        if (options_.record_metrics) {
            metrics_key_.assign("metrics:channel:").append(ev.channel).append(":published");
            conn_->append({"INCR", metrics_key_});
        }
        return;
    }
    // {command, channel, body} as append_resp writes it, the head formatted once per channel.
    if (ev.channel != head_channel_ || head_.empty()) {
        head_channel_.assign(ev.channel);
        std::string_view command = options_.command;
        head_ = fmt::format("*3\r\n${}\r\n{}\r\n${}\r\n{}\r\n$", command.size(), command, ev.channel.size(),
                            ev.channel);
    }
    char size[24];
    char* size_end = std::to_chars(size, size + sizeof size - 2, ev.body.size()).ptr;
    *size_end++ = '\r';
    *size_end++ = '\n';
    conn_->append_raw(head_);
    conn_->append_raw({size, static_cast<std::size_t>(size_end - size)});
    conn_->append_raw(ev.body);
    conn_->append_raw("\r\n");
    if (options_.record_metrics) {
        metrics_key_.assign("metrics:channel:").append(ev.channel).append(":published");
        conn_->append({"INCR", metrics_key_});
    }
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
    while (!inflight_.empty() && inflight_.front().acked) pop_front();
    std::string last = why;
    std::chrono::milliseconds delay = options_.backoff_initial;
    for (int attempt = 1; attempt <= options_.retries && !pending_signal(); ++attempt) {
        logger().warn("{}: {}; reconnecting in {} (attempt {} of {}), {} event(s) to resend",
                      attempt == 1 ? "connection lost" : "reconnect failed", last,
                      log_lazy([delay] { return format_duration(delay); }),
                      attempt, options_.retries, inflight_.size());
        sleep_(delay);
        delay = std::min(delay * 2, options_.backoff_max);
        try {
            conn_ = connect_();
            if (options_.on_connect) options_.on_connect(*conn_);
            for (const InFlight& f : inflight_) append(view(f));
            conn_->flush(deadline_after(options_.reply_timeout));
            ++reconnects_;
            logger().warn("reconnected to {}; resent {} event(s)", conn_->peer(), inflight_.size());
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
    while (!inflight_.empty()) {
        fail(view(inflight_.front()), down_reason_);
        pop_front();
    }
}

bool BatchPublisher::read_one(Deadline deadline) {
    std::optional<IntegerReply> r = conn_->read_integer_reply(deadline);
    if (!r) return false;  // deadline passed, or a signal came
    if (inflight_.empty()) throw ProtocolError(fmt::format("unexpected reply from {}", conn_->peer()));
    InFlight& front = inflight_.front();
    bool done = true;
    if (!front.acked) {
        if (r->error) {
            fail(view(front), fmt::format("{} refused {}: {}", conn_->peer(), options_.command, r->text));
        } else {
            ++published_;
            if (handlers_.published) handlers_.published(view(front), r->value);
        }
        if (options_.record_metrics) {
            front.acked = true;
            done = false;
        }
    } else if (r->error) {
        logger().warn("{} refused INCR {}: {}", conn_->peer(), metrics_key(view(front).channel), r->text);
    }
    if (done) pop_front();
    return true;
}

void BatchPublisher::add(const BatchEvent& ev) {
    // A full window drains to half before more is sent: one write per half window,
    // not one per event, while the other half keeps the server busy.
    while (!down_ && window_full(ev.body.size())) {
        guarded([&] {
            conn_->flush(deadline_after(options_.reply_timeout));
            Deadline deadline = deadline_after(options_.reply_timeout);
            do {
                while (!read_one(deadline)) {
                    if (deadline && Clock::now() >= *deadline)
                        throw TimeoutError(fmt::format("no reply from {} within {}", conn_->peer(),
                                                       format_duration(options_.reply_timeout)));
                }
                deadline = deadline_after(options_.reply_timeout);
            } while (!inflight_.empty() && (inflight_.size() > options_.window_events / 2 ||
                                            inflight_bytes_ > options_.window_bytes / 2));
        });
    }
    if (down_) {
        fail(ev, down_reason_);
        return;
    }
    InFlight f;
    f.line = ev.line;
    f.offset = store_base_ + store_.size();
    f.channel_size = static_cast<std::uint32_t>(ev.channel.size());
    f.body_size = static_cast<std::uint32_t>(ev.body.size());
    store_.append(ev.channel).append(ev.body);
    inflight_bytes_ += ev.body.size();
    inflight_.push_back(f);
    guarded([&] {
        append(ev);
        if (conn_->pending_bytes() >= options_.write_bytes) conn_->flush(deadline_after(options_.reply_timeout));
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
