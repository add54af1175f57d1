// RaptorBus's own keys, counted for rbus-stats: the events publish_event()
// persisted (msg:{channel}:{id}) and its DLQ records
// (dlq:sys.dlq.{reason}:{uuid}), found by one SCAN walk (TYPE string, never
// KEYS) under a budget (--scan-limit): past it, the counts are lower bounds.
// The persisted heartbeats the walk finds are read (GET, pipelined) for the agents.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "redis/connection.h"
#include "stats/stats_agents.h"

namespace rbus {

inline constexpr std::size_t kDefaultScanLimit = 10000;

struct RaptorbusKeys {
    std::map<std::string, long long> persisted;  // channel → msg:{channel}:* keys
    std::map<std::string, long long> dlq;        // reason → dlq:sys.dlq.{reason}:* records
    std::size_t examined = 0;  // keys the walk covered (the COUNTs asked for)
    std::size_t limit = 0;
    bool complete = false;     // the walk reached its end within the budget

    long long persisted_total() const;
    long long dlq_total() const;
};

// Where a key belongs: a persisted event's channel, a DLQ record's reason,
// or neither (both empty). A channel may hold ':' (the id is after the last).
struct RaptorbusKey {
    std::string_view channel, reason;
};
RaptorbusKey classify_raptorbus_key(std::string_view key);

// Walks the keyspace with SCAN cursor COUNT c TYPE string until its end or
// until the COUNTs asked for reach `limit`; counts each kind of key; the
// persisted heartbeats (msg:sys.global.heartbeat:*) are read and handed to
// `beats`.
RaptorbusKeys scan_raptorbus_keys(Connection& conn, std::size_t limit, std::chrono::milliseconds timeout,
                                  HeartbeatTracker& beats);

}  // namespace rbus
