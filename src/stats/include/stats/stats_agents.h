// The agents alive on the bus, from their heartbeats: every RaptorFlow agent
// publishes a BusEvent on sys.global.heartbeat every 30 s, naming itself in
// source_agent_id, and publish_event() keeps each beat 60 s at
// msg:sys.global.heartbeat:{id}. rbus-stats reads both: the beats heard live
// during its window and the persisted ones.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/timestamp.h"

namespace rbus {

inline constexpr std::string_view kHeartbeatChannel = "sys.global.heartbeat";
// Alive: a beat within two heartbeat periods (RaptorBus's TTL of a persisted beat).
inline constexpr std::chrono::seconds kAgentAliveWithin{60};

struct AgentBeat {
    std::string agent;
    SystemTime last;
    bool live = false;  // the last beat was heard on the channel (else read from msg:)
    double age_seconds = 0;
    bool alive = false;
};

class HeartbeatTracker {
public:
    // A beat heard on the channel: dated by its receipt.
    void heard(std::string_view raw, SystemTime received);
    // A persisted beat, read at `read_at`: dated by its envelope timestamp, or
    // by `read_at` when that is later (an agent's clock ahead of ours: the beat
    // then ages from when it was read, and a later live beat still counts).
    void persisted(std::string_view raw, SystemTime read_at);
    // Every agent seen, most recent beat first, aged at `now`.
    std::vector<AgentBeat> agents(SystemTime now) const;
    // Beats that named no agent or could not be read.
    std::size_t unnamed() const { return unnamed_; }

private:
    void note(std::string_view raw, std::optional<SystemTime> at, bool live, SystemTime latest);

    struct Last {
        SystemTime at;
        bool live = false;
    };
    std::map<std::string, Last> last_;
    std::size_t unnamed_ = 0;
};

}  // namespace rbus
