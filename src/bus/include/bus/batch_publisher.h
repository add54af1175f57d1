// The engine under rbus-publish --stdin / --envelopes: PUBLISH pipelined over
// one connection within a bounded window (events and bytes in flight), replies
// matched in order, and on a lost connection a capped-backoff reconnect that
// resends every event still without a reply. An event that was published just
// before the connection dropped, but whose reply was lost, is sent again: it
// can arrive twice, and its id lets consumers drop the copy.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "redis/connection.h"
#include "event/envelope.h"
#include "base/signals.h"

namespace rbus {

// One event of a batch. The engine copies what add() is given; what it hands to
// its handlers is valid during the call only.
struct BatchEvent {
    std::uint64_t line = 0;  // input line number (1-based), for reports
    std::string_view channel;
    std::string_view body;  // the envelope as sent
};

// The envelope of an event, read back from its body (for logs, colour and dead letters).
Envelope envelope_of(const BatchEvent& ev);

struct BatchOptions {
    std::size_t window_events = 10000;  // commands in flight at most
    std::size_t window_bytes = 4 << 20;   // bytes in flight at most
    std::size_t write_bytes = 128 * 1024;  // queued bytes that make one write
    int retries = 3;                     // reconnect attempts per outage
    bool record_metrics = false;         // INCR metrics:channel:{channel}:published after each PUBLISH
    const char* command = "PUBLISH";     // SPUBLISH for sharded pub/sub (--sharded)
    // Set: writes each event's command (RESP, replied to with the receivers)
    // instead of `command channel body`, e.g. the history script (--history).
    std::function<void(std::string& out, const BatchEvent&)> write_command;
    // Set: runs on every new connection before events are sent (SCRIPT LOAD).
    std::function<void(Connection&)> on_connect;
    std::chrono::milliseconds reply_timeout{10000};
    std::chrono::milliseconds backoff_initial{200};
    std::chrono::milliseconds backoff_max{2000};
};

struct BatchHandlers {
    // In input order, once the server confirmed the PUBLISH.
    std::function<void(const BatchEvent&, long long receivers)> published;
    // Not published: an error reply, or the bus stayed unreachable.
    std::function<void(const BatchEvent&, const std::string& reason)> failed;
};

// What every way of publishing a batch offers: the one-connection
// BatchPublisher below and, with --sharded, ShardedBatchPublisher
// (sharded_publisher.h); make_batch_publisher (bus_publisher.h) chooses.
class BusBatchPublisher {
public:
    virtual ~BusBatchPublisher() = default;
    // Opens the first connection(s); a ConnectError (unreachable at start) propagates.
    virtual void start() = 0;
    // Queues (a copy of) one event; waits for replies only when the window is full.
    virtual void add(const BatchEvent& ev) = 0;
    // Sends what is queued and handles the replies already here, without waiting.
    virtual void flush() = 0;
    // Sends everything and waits for every reply.
    virtual void finish() = 0;
};

using Connector = std::function<std::unique_ptr<Connection>()>;
using Sleeper = std::function<void(std::chrono::milliseconds)>;

// PUBLISH pipelined over one connection.
class BatchPublisher final : public BusBatchPublisher {
public:
    BatchPublisher(Connector connect, BatchOptions options, BatchHandlers handlers,
                   Sleeper sleep = pause_unless_signal);

    void start() override;
    void add(const BatchEvent& ev) override;
    void flush() override;
    void finish() override;

    std::uint64_t published() const { return published_; }
    std::uint64_t failed() const { return failed_; }
    std::uint64_t reconnects() const { return reconnects_; }

private:
    // An event in flight: its channel and body sit in store_ at offset (minus
    // store_base_), so that a batch costs no allocation per event.
    struct InFlight {
        std::uint64_t line = 0;
        std::size_t offset = 0;
        std::uint32_t channel_size = 0, body_size = 0;
        bool acked = false;  // PUBLISH confirmed, only the INCR reply is awaited
    };
    BatchEvent view(const InFlight& f) const;
    void pop_front();
    void append(const BatchEvent& ev);
    // Runs op; on a lost connection reconnects and resends, or gives up on everything in flight.
    template <class Op>
    void guarded(Op&& op);
    void recover(const std::string& why);
    // Reads one reply (waiting until the deadline) and applies it; false when none came.
    bool read_one(Deadline deadline);
    void fail(const BatchEvent& ev, const std::string& reason);
    bool window_full(std::size_t next_bytes) const;

    Connector connect_;
    BatchOptions options_;
    BatchHandlers handlers_;
    Sleeper sleep_;
    std::unique_ptr<Connection> conn_;
    std::deque<InFlight> inflight_;
    std::string store_;
    std::size_t store_base_ = 0;
    std::size_t inflight_bytes_ = 0;
    std::string metrics_key_, command_;  // scratch
    std::string head_channel_, head_;  // the command's RESP up to the body's size, for one channel
    bool down_ = false;
    std::string down_reason_;
    std::uint64_t published_ = 0, failed_ = 0, reconnects_ = 0;
};

}  // namespace rbus
