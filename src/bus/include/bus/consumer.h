// The loop that rbus-subscribe and rbus-tail share: subscribe, signal
// readiness, read bursts, stop on --count, --timeout, --idle or a signal;
// PING a silent connection and reconnect when it is lost. It drives a
// BusSubscriber (plain or sharded, bus_subscriber.h) made by a connector, and
// goes by a LoopClock, so that it runs over a FakeTransport in unit tests.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "event/event_read.h"
#include "redis/reconnect.h"
#include "base/size_flags.h"
#include "bus/bus_subscriber.h"

namespace CLI {
class App;
}

namespace rbus {

struct ConsumeOptions {
    std::optional<std::uint64_t> count;     // stop with 0 after this many matching events
    std::chrono::milliseconds timeout{0};   // 0: none
    std::chrono::milliseconds idle{0};      // 0: none; stop with 0 after this long without a match
    std::string ready_file;                 // removed at start, created once subscribed (named_file.h)
    std::size_t max_bytes = kReaderMaxBytes;  // a larger message is invalid, never read as JSON
    bool reconnect = true;                  // false: a lost connection ends the run (exit 3)
    std::chrono::milliseconds ping_interval{5000};  // PING after this much silence; 0: never
    ReconnectPolicy::Backoff backoff;
};

// The consume flags as given: -n/--count, --timeout, --idle, --ready-file,
// --no-reconnect, --ping-interval, --max-bytes.
struct ConsumeFlags {
    std::string count, timeout, idle, ready_file, ping_interval, max_bytes;
    bool no_reconnect = false;
};
// Adds those flags (used by rbus-subscribe and rbus-tail).
void add_consume_options(CLI::App& app, ConsumeFlags& flags);
// Parses them once (durations); throws UsageError.
ConsumeOptions consume_options(const ConsumeFlags& flags);

struct ReceivedEvent {
    const BusMessage& message;
    const EventRead& read;  // valid or invalid, with its reason (event_read.h)
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
    // Optional: called once, after the first subscription is confirmed and
    // before any live message is handed over (they wait, none is lost): the
    // place to replay history (--since). `deliver` hands one message through
    // the handlers as if it were live (filters, --count); it returns false
    // once the run is done. `read`: the message as already read (a replay
    // reads each event once to order it), or nullptr to read it here.
    using Deliver = std::function<bool(const BusMessage&, const EventRead* read)>;
    std::function<void(const Deliver& deliver)> on_subscribed;
    // Optional: output held back. A replay with --until prints ahead while
    // its SCAN may still find events that go first: what on_event writes
    // meanwhile is held (hold), then written (release) or dropped (discard).
    // Returns the bytes held (size: only that). The replay holds up to
    // kHeldAtMost. Only for handlers whose on_event does nothing but print
    // (an --exec handler's work cannot be taken back).
    enum class Held { hold, release, discard, size };
    static constexpr std::size_t kHeldAtMost = 64 << 20;
    std::function<std::size_t(Held)> hold_output;
};

// One message through the handlers as the consume loop hands it over: read in
// one pass by `reader` (unless `read` is what reading it gave already) and
// given to on_event. A message larger than max_bytes is never read: it goes
// to on_event as invalid, with its size. Returns whether it matched.
bool deliver_message(const BusMessage& m, const ConsumeHandlers& h, EnvelopeReader& reader,
                     std::size_t max_bytes = kReaderMaxBytes, const EventRead* read = nullptr);

// "message is 20000000 bytes, more than --max-bytes 16777216" (not read).
std::string oversize_message(std::size_t bytes, std::size_t max_bytes);

// The bound on a frame from the server for a reader with --max-bytes N: a
// message up to it is received and, past N, reported invalid by its size;
// only a larger frame (which a Redis with its default 32 MB pub/sub buffer
// limit never sends) ends the connection. At least 32 MiB + 1 MiB of framing.
inline std::size_t reply_bound(std::size_t max_bytes) {
    return std::max<std::size_t>(max_bytes, 32 * 1024 * 1024) + 1024 * 1024;
}

// What happened during a run, for --metrics and summaries.
struct ConsumeStats {
    std::uint64_t received = 0;    // every message from the bus, invalid ones included
    std::uint64_t matched = 0;
    std::uint64_t reconnects = 0;
    // --until with --count: the history ran out before the count (exit 124, as
    // for --timeout: a CI check over history alone must not pass on nothing).
    bool history_ran_out = false;
};

// Makes a connected subscription (started: every subscription confirmed), or
// throws ConnectError, TimeoutError or Interrupted. The consume loop calls it
// once to begin and again after each loss (dropping the lost one first).
using SubscriberConnector = std::function<std::unique_ptr<BusSubscriber>()>;

// The time and the signals the consume loop goes by. system(): steady_clock,
// a sleep that SIGINT/SIGTERM cut short, pending_signal(). A test gives its
// own, so that timers pass without waiting.
struct LoopClock {
    std::function<Clock::time_point()> now;
    std::function<void(Clock::time_point)> sleep_until;  // may return early
    std::function<int()> signal;  // 0, or the signal that ends the run
    static LoopClock system();
};

// Returns the exit code: 0 (count reached, idle, or deadline without a count),
// 124 (deadline before the count), 130/143 (signal). Throws ConnectError when
// the first connection fails, or when the connection is lost and reconnecting
// is off.
int consume(const SubscriberConnector& connect, const ConsumeOptions& options, const ConsumeHandlers& handlers,
            ConsumeStats* stats = nullptr, const LoopClock& clock = LoopClock::system());

// consume() over make_subscriber(ctx, ...): a Subscriber, or a
// ShardedSubscriber when ctx.sharded; what rbus-subscribe and rbus-tail call.
// Patterns with --sharded are a UsageError before anything connects.
int consume_subscriptions(const Context& ctx, const std::string& client_name, const std::vector<Subscription>& subs,
                          const ConsumeOptions& options, const ConsumeHandlers& handlers, ConsumeStats* stats);

// Why a run ended with 124, for its one stderr line: "timed out after 1s: 0 of
// 2 events", or (history_ran_out) "the history up to --until held 0 of 2 events".
std::string timeout_message(const ConsumeOptions& options, const ConsumeStats& stats);

}  // namespace rbus
