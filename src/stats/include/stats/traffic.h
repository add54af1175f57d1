// What flowed on the bus during a sampling window: events by type, priority and
// workspace, bytes, invalid messages and the bus lag. Fed one message at a time,
// with no server involved, so that it is tested on its own.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "event/event_read.h"
#include "base/histogram.h"
#include "base/timestamp.h"

namespace rbus {

struct FlowCount {
    std::uint64_t events = 0;
    std::uint64_t bytes = 0;
};

// Counts by label (type, priority, workspace); looked up by string_view.
using FlowMap = std::map<std::string, FlowCount, std::less<>>;

// The workspace label of an event without one.
inline constexpr std::string_view kNoWorkspace = "-";

struct TrafficStats {
    double seconds = 0;  // how long the window lasted
    FlowCount total;     // valid events (of the workspace, when one is given)
    std::uint64_t invalid = 0;
    std::uint64_t invalid_bytes = 0;
    std::uint64_t other_workspaces = 0;  // valid events left out by the workspace filter
    FlowMap by_type, by_priority, by_workspace;
    Histogram lag_us;  // receipt − envelope timestamp, in microseconds
    std::uint64_t no_timestamp = 0;  // valid events whose lag could not be measured
    // Times the server dropped the connection in the window (a burst past its
    // client-output-buffer-limit pubsub), and how long the window went without a
    // subscription: pub/sub cannot tell what was missed, so every count is then a lower bound.
    std::uint64_t drops = 0;
    double dropped_seconds = 0;

    double per_second(std::uint64_t n) const { return seconds > 0 ? static_cast<double>(n) / seconds : 0; }
};

class TrafficWindow {
public:
    // workspace: count only events of that workspace (invalid messages are always counted);
    // max_bytes: a larger message is invalid without being read (--max-bytes).
    explicit TrafficWindow(std::optional<std::string> workspace = std::nullopt,
                           std::size_t max_bytes = 16 * 1024 * 1024);

    // One message as received, read tolerantly (SPEC §1), in one pass (event_read.h).
    void add(std::string_view data, SystemTime received);

    // The window so far, lasting `seconds`; reset() starts the next one.
    TrafficStats stats(double seconds) const;
    void reset();

private:
    std::optional<std::string> workspace_;
    std::size_t max_bytes_;
    TrafficStats stats_;
    EnvelopeReader reader_;
};

}  // namespace rbus
