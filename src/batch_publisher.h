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

#include "connection.h"
#include "envelope.h"

namespace rbus {

struct BatchEvent {
    std::uint64_t line = 0;  // input line number (1-based), for reports
    Envelope envelope;
    std::string channel;
    std::string body;  // envelope.dump(): what is sent
};

struct BatchOptions {
    std::size_t window_events = 1000;   // commands in flight at most
    std::size_t window_bytes = 1 << 20;  // bytes in flight at most
    int retries = 3;                     // reconnect attempts per outage
    bool record_metrics = false;         // INCR metrics:channel:{channel}:published after each PUBLISH
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

using Connector = std::function<std::unique_ptr<Connection>()>;
using Sleeper = std::function<void(std::chrono::milliseconds)>;

// Sleeps, returning early when SIGINT/SIGTERM arrives.
void interruptible_sleep(std::chrono::milliseconds d);

class BatchPublisher {
public:
    BatchPublisher(Connector connect, BatchOptions options, BatchHandlers handlers,
                   Sleeper sleep = interruptible_sleep);

    // Opens the first connection; its ConnectError (unreachable at start) propagates.
    void start();
    // Queues one event; waits for replies only when the window is full.
    void add(BatchEvent ev);
    // Sends what is queued and handles the replies already here, without waiting.
    void flush();
    // Sends everything and waits for every reply.
    void finish();

    std::uint64_t published() const { return published_; }
    std::uint64_t failed() const { return failed_; }
    std::uint64_t reconnects() const { return reconnects_; }

private:
    struct InFlight {
        BatchEvent ev;
        bool acked = false;  // PUBLISH confirmed, only the INCR reply is awaited
    };
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
    std::size_t inflight_bytes_ = 0;
    bool down_ = false;
    std::string down_reason_;
    std::uint64_t published_ = 0, failed_ = 0, reconnects_ = 0;
};

}  // namespace rbus
