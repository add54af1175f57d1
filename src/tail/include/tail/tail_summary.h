// What rbus-tail saw, told on Ctrl-C: events by type and by priority,
// what was filtered out or invalid, and how often the connection came back.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>


namespace rbus {

class TailSummary {
public:
    // An event that was shown.
    void shown(std::string_view type, std::string_view priority);
    // A message that was not a valid event.
    void invalid() { ++invalid_; }

    std::uint64_t shown_count() const { return shown_; }
    std::uint64_t invalid_count() const { return invalid_; }

    struct Totals {
        std::uint64_t received = 0;    // every message, invalid ones included
        std::uint64_t reconnects = 0;
        std::chrono::milliseconds elapsed{0};
        std::string filters;  // "workspace ws-123 (RAPTORBUS_WORKSPACE_ID)", or empty
    };
    // Several lines, each ending in '\n':
    //   rbus-tail: 7 events in 12.30s (9 received, 1 filtered out, 1 invalid, 0 reconnects)
    //   filtered by: workspace ws-123 (RAPTORBUS_WORKSPACE_ID)      (when filters)
    //   by priority: critical 1, high 2, normal 4
    //   by type:
    //         3  agent.task_started
    //         ...
    // Types by count (most first), then by name; at most kMaxTypes of them.
    std::string render(const Totals& totals) const;

    static constexpr std::size_t kMaxTypes = 40;

private:
    std::uint64_t shown_ = 0, invalid_ = 0;
    std::map<std::string, std::uint64_t, std::less<>> by_type_;
    std::map<std::string, std::uint64_t, std::less<>> by_priority_;
};

}  // namespace rbus
