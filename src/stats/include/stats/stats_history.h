// What rbus-stats reports about history, background consumers and the DLQ
// (SPEC §8): rbus's history streams and their consumer groups, both
// dead-letter queues, RaptorBus's persisted msg:{channel}:* events, and the
// agents alive from sys.global.heartbeat. On a Redis Cluster, each master's
// keys are read on that master and the snapshots merged.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "redis/connection.h"
#include "app/context.h"
#include "stats/stats_agents.h"
#include "stats/stats_keyscan.h"

namespace rbus {

struct HistoryConsumer {
    std::string name;
    long long pending = 0;
    long long idle_ms = 0;
};

struct HistoryGroup {
    std::string name;
    long long pending = 0;
    std::optional<long long> lag;  // entries not yet delivered to the group; unknown when absent
    bool lag_exact = true;         // false: counted up to a bound, the lag is at least `lag`
    std::optional<long long> oldest_pending_idle_ms;  // of the pending entry with the lowest ID
    std::string last_delivered_id;
    std::vector<HistoryConsumer> consumers;
};

struct HistoryStream {
    std::string key, channel;
    long long length = 0;
    std::optional<long long> oldest_ms, newest_ms;  // entry times (the server's clock, ms since the epoch)
    std::optional<long long> memory_bytes;          // MEMORY USAGE; absent when refused
    std::vector<HistoryGroup> groups;
};

struct HistorySnapshot {
    std::string ns;                // the key namespace (--history-key-prefix)
    std::string not_read;          // why nothing was read (a refused command, a node down); empty when read
    long long server_time_ms = 0;  // TIME, to age the entries by the clock that stamped them
    std::vector<HistoryStream> streams;
    std::string dlq_key;
    long long dlq_length = 0;      // rbus's DLQ stream
    RaptorbusKeys raptorbus;       // persisted events and DLQ records, from the budgeted SCAN
    std::vector<AgentBeat> agents;
    std::size_t agents_alive = 0;

    long long pending_total() const;
};

class ClusterHistoryReader;

// Reads a HistorySnapshot each time it is asked; the key scans (history
// streams, RaptorBus's keys) are repeated only when `rescan_every` has
// passed, so that --watch does not walk the keyspace on every refresh.
class HistoryStatsReader {
public:
    HistoryStatsReader(const Context& ctx, std::size_t scan_limit, HeartbeatTracker& beats,
                       std::chrono::seconds rescan_every = std::chrono::seconds(30));
    ~HistoryStatsReader();
    // The server behind `conn`; on a cluster, every master over its own
    // connection (stats_history_cluster.h), the snapshots merged. A command
    // the server refuses, or a node that cannot be read: nothing read,
    // not_read says why. Throws UsageError when rbus's DLQ key is not a stream.
    HistorySnapshot read(Connection& conn, bool cluster);
    // The keys of one node; `dlq_here` false leaves rbus's DLQ to the node
    // that serves its slot. Throws ReplyError when a command is refused.
    HistorySnapshot read_node(Connection& conn, bool dlq_here);

private:
    void rescan(Connection& conn);
    std::vector<HistoryStream> read_streams(Connection& conn);
    void read_groups(Connection& conn, HistoryStream& s);

    const Context& ctx_;
    std::size_t scan_limit_;
    HeartbeatTracker& beats_;
    std::chrono::seconds rescan_every_;
    std::optional<std::chrono::steady_clock::time_point> scanned_at_;
    std::vector<std::string> stream_keys_;
    RaptorbusKeys raptorbus_;
    std::unique_ptr<ClusterHistoryReader> cluster_;
};

// A snapshot with nothing read, and why.
HistorySnapshot unread_history(const Context& ctx, std::string why);

// The stream ID's time: "1701350000123-4" → 1701350000123; nothing when not an ID.
std::optional<long long> stream_id_ms(std::string_view id);

// --max-pending, --max-dlq, --max-lag, --min-agents of --check.
struct HistoryThresholds {
    std::optional<long long> max_pending, max_dlq, max_lag, min_agents;
    bool any() const { return max_pending || max_dlq || max_lag || min_agents; }
};

// Every threshold that failed, as short phrases; empty when healthy.
std::vector<std::string> history_check_failures(const HistorySnapshot& h, const HistoryThresholds& t);

}  // namespace rbus
