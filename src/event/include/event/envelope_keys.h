// The keys that reading knows (SPEC §1 "Reading"), in canonical order, then the
// legacy dict's names; shared by the tree reader (envelope_read.cc) and the one
// pass (envelope_scan.cc) so that both recognise exactly the same ones.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace rbus::envelope_keys {

enum Key : std::size_t { kId, kType, kPayload, kPriority, kRequestId, kSourceAgentId, kWorkspaceId, kTimestamp,
                         kEventType, kCorrelationId, kKnownKeys };
inline constexpr std::size_t kCanonicalKeys = kEventType;  // the keys an envelope is written with
inline constexpr std::array<std::string_view, kKnownKeys> kKeyNames = {
    "id", "type", "payload", "priority", "request_id", "source_agent_id", "workspace_id", "timestamp",
    "event_type", "correlation_id"};

// The Key of a (decoded) name, or kKnownKeys. By length first: it runs for every key of every message.
inline std::size_t key_index(std::string_view k) {
    auto is = [&](Key key) { return k == kKeyNames[key] ? std::size_t{key} : std::size_t{kKnownKeys}; };
    switch (k.size()) {
        case 2: return is(kId);
        case 4: return is(kType);
        case 7: return is(kPayload);
        case 8: return is(kPriority);
        case 9: return is(kTimestamp);
        case 10: return k[0] == 'r' ? is(kRequestId) : is(kEventType);
        case 12: return is(kWorkspaceId);
        case 14: return is(kCorrelationId);
        case 15: return is(kSourceAgentId);
        default: return kKnownKeys;
    }
}

// The keys only pydantic's BusEvent writes: the message is then of that shape.
inline bool is_bus_event_key(std::string_view k) {
    return k == "version" || k == "retry_count" || k == "max_retries" || k == "destination_guild";
}

}  // namespace rbus::envelope_keys
