#include "stats/stats_agents.h"

#include <algorithm>

#include "event/envelope.h"

namespace rbus {

void HeartbeatTracker::heard(std::string_view raw, SystemTime received) { note(raw, received, true, received); }

void HeartbeatTracker::persisted(std::string_view raw, SystemTime read_at) {
    note(raw, std::nullopt, false, read_at);
}

void HeartbeatTracker::note(std::string_view raw, std::optional<SystemTime> at, bool live, SystemTime latest) {
    ReadResult r = read_envelope(raw);
    const std::string* agent = r.ok() ? r.envelope->source_agent_id() : nullptr;
    if (!at && r.ok() && r.envelope->timestamp()) at = parse_timestamp(*r.envelope->timestamp());
    if (at && *at > latest) at = latest;  // dated ahead of our clock (a fast clock, or 2099): not newer than now
    if (!agent || agent->empty() || !at) {
        ++unnamed_;
        return;
    }
    auto [it, added] = last_.try_emplace(*agent, Last{*at, live});
    if (!added && it->second.at < *at) it->second = Last{*at, live};
}

std::vector<AgentBeat> HeartbeatTracker::agents(SystemTime now) const {
    std::vector<AgentBeat> out;
    for (const auto& [agent, last] : last_) {
        AgentBeat b;
        b.agent = agent;
        b.last = last.at;
        b.live = last.live;
        b.age_seconds = std::max(0.0, std::chrono::duration<double>(now - last.at).count());
        b.alive = b.age_seconds <= static_cast<double>(kAgentAliveWithin.count());
        out.push_back(std::move(b));
    }
    std::stable_sort(out.begin(), out.end(), [](const AgentBeat& a, const AgentBeat& b) { return a.last > b.last; });
    return out;
}

}  // namespace rbus
