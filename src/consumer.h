// The loop that rbus-subscribe and rbus-tail share: subscribe, signal
// readiness, read bursts, stop on --count, --timeout, --idle or a signal;
// PING a silent connection and reconnect when it is lost.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "canonical.h"
#include "envelope.h"
#include "reconnect.h"
#include "subscriber.h"

namespace CLI {
class App;
}

namespace rbus {

struct ConsumeOptions {
    std::optional<std::uint64_t> count;     // stop with 0 after this many matching events
    std::chrono::milliseconds timeout{0};   // 0: none
    std::chrono::milliseconds idle{0};      // 0: none; stop with 0 after this long without a match
    std::string ready_file;                 // created once subscribed
    bool reconnect = true;                  // false: a lost connection ends the run (exit 3)
    std::chrono::milliseconds ping_interval{5000};  // PING after this much silence; 0: never
    ReconnectPolicy::Backoff backoff;
};

// The consume flags as given: -n/--count, --timeout, --idle, --ready-file,
// --no-reconnect, --ping-interval.
struct ConsumeFlags {
    std::uint64_t count = 0;
    bool count_given = false;
    std::string timeout, idle, ready_file, ping_interval;
    bool no_reconnect = false;
};
// Adds those flags (used by rbus-subscribe and rbus-tail).
void add_consume_options(CLI::App& app, ConsumeFlags& flags);
// Parses them once (durations); throws UsageError.
ConsumeOptions consume_options(const ConsumeFlags& flags);

struct ReceivedEvent {
    const BusMessage& message;
    const ReadResult& read;                 // valid or invalid, with its reason
    Clock::time_point received_at;
    std::chrono::system_clock::time_point received_wall;  // for {received_at}, lag
};

struct ConsumeHandlers {
    // Returns true when the event matched (counts toward --count and --idle).
    // May throw Error to end the run with its exit code (--invalid fail).
    std::function<bool(const ReceivedEvent&)> on_event;
    // Called after each burst: the place to flush output.
    std::function<void()> on_burst;
    // Called once a lost connection is back (after resubscribing), with how
    // long it was down: the place to mark the gap in the output.
    std::function<void(std::chrono::milliseconds gap)> on_reconnect;
    // Optional fast path: a message that is a canonical envelope (canonical.h)
    // comes here instead, without the full read; returns true when it matched.
    // Set it only where the result is what on_event would give.
    std::function<bool(const BusMessage&, const CanonicalEnvelope&)> on_canonical;
};

// One message through the handlers as the consume loop hands it over: to
// on_canonical when set and the message is canonical, else read in full
// (read_envelope) and given to on_event. Returns whether it matched.
bool deliver_message(const BusMessage& m, const ConsumeHandlers& h);

// What happened during a run, for --metrics and summaries.
struct ConsumeStats {
    std::uint64_t received = 0;    // every message from the bus, invalid ones included
    std::uint64_t matched = 0;
    std::uint64_t reconnects = 0;
};

// Returns the exit code: 0 (count reached, idle, or deadline without a count),
// 124 (deadline before the count), 130/143 (signal). Throws ConnectError when
// the first connection fails, or when the connection is lost and reconnecting
// is off.
int consume(Subscriber& sub, const ConsumeOptions& options, const ConsumeHandlers& handlers,
            ConsumeStats* stats = nullptr);
// The same loop over sharded subscriptions (--sharded), one connection per owning node.
class ShardedSubscriber;
int consume(ShardedSubscriber& sub, const ConsumeOptions& options, const ConsumeHandlers& handlers,
            ConsumeStats* stats = nullptr);

// Creates the ready file (empty) or throws Error naming it.
void touch_ready_file(const std::string& path);

}  // namespace rbus
