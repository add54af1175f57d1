// The loop that rbus-subscribe and rbus-tail share: subscribe, signal
// readiness, read bursts, stop on --count, --timeout or a signal.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "envelope.h"
#include "subscriber.h"

namespace rbus {

struct ConsumeOptions {
    std::optional<std::uint64_t> count;     // stop with 0 after this many matching events
    std::chrono::milliseconds timeout{0};   // 0: none
    std::string ready_file;                 // created once subscribed
};

struct ReceivedEvent {
    const BusMessage& message;
    const ReadResult& read;                 // valid or invalid, with its reason
    Clock::time_point received_at;
};

struct ConsumeHandlers {
    // Returns true when the event matched (counts toward --count).
    std::function<bool(const ReceivedEvent&)> on_event;
    // Called after each burst: the place to flush output.
    std::function<void()> on_burst;
};

// Returns the exit code: 0 (count reached, or deadline without a count),
// 124 (deadline before the count), 130/143 (signal).
int consume(Subscriber& sub, const ConsumeOptions& options, const ConsumeHandlers& handlers);

// Creates the ready file (empty) or throws Error naming it.
void touch_ready_file(const std::string& path);

}  // namespace rbus
