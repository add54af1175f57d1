// rbus-stats's history sections on a Redis Cluster: each master holds the
// history streams, groups, msg: and dlq: keys of its slots, so each master is
// read over its own connection (kept for --watch, with its own scans and
// their budget) and the snapshots are merged; rbus's DLQ stream is read on
// the master that serves its slot.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include "app/context.h"
#include "stats/stats_agents.h"
#include "stats/stats_history.h"

namespace rbus {

class ClusterHistoryReader {
public:
    ClusterHistoryReader(const Context& ctx, std::size_t scan_limit, HeartbeatTracker& beats,
                         std::chrono::seconds rescan_every);
    ~ClusterHistoryReader();
    // Every master; a node that cannot be read (or refuses a command) leaves
    // the whole snapshot unread, naming the node, and the topology is read
    // again next time. Throws UsageError when rbus's DLQ key is not a stream.
    HistorySnapshot read();

private:
    struct Node;
    void open();

    const Context& ctx_;
    std::size_t scan_limit_;
    HeartbeatTracker& beats_;
    std::chrono::seconds rescan_every_;
    std::vector<std::unique_ptr<Node>> nodes_;
};

// One snapshot of the nodes' snapshots: streams by channel, ages by the first
// node's clock, counts summed, complete only when every walk was, the limit
// being each node's.
HistorySnapshot merge_history(const std::vector<HistorySnapshot>& parts);

}  // namespace rbus
