#include "stats/stats_history_cluster.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/error.h"
#include "bus/history_keys.h"
#include "redis/cluster_topology.h"
#include "redis/connect.h"
#include "redis/crc16.h"

namespace rbus {

struct ClusterHistoryReader::Node {
    std::string name;
    std::unique_ptr<Connection> conn;
    std::unique_ptr<HistoryStatsReader> reader;
    bool dlq_here = false;
};

ClusterHistoryReader::ClusterHistoryReader(const Context& ctx, std::size_t scan_limit, HeartbeatTracker& beats,
                                           std::chrono::seconds rescan_every)
    : ctx_(ctx), scan_limit_(scan_limit), beats_(beats), rescan_every_(rescan_every) {}

ClusterHistoryReader::~ClusterHistoryReader() = default;

void ClusterHistoryReader::open() {
    ClusterTopology topology = discover_topology(ctx_.connect, "rbus-stats");
    std::optional<HostPort> dlq_owner = topology.owner(hash_slot(HistoryKeys(ctx_.history_prefix).dlq()));
    for (const HostPort& master : topology.masters()) {
        auto node = std::make_unique<Node>();
        node->name = node_name(master);
        node->dlq_here = dlq_owner && same_node(*dlq_owner, master);
        node->reader = std::make_unique<HistoryStatsReader>(ctx_, scan_limit_, beats_, rescan_every_);
        nodes_.push_back(std::move(node));
        nodes_.back()->conn = connect_bus(node_options(ctx_.connect, master), "rbus-stats");
    }
}

HistorySnapshot ClusterHistoryReader::read() {
    std::vector<HistorySnapshot> parts;
    std::string at = "the cluster";
    try {
        if (nodes_.empty()) open();
        for (auto& node : nodes_) {
            at = node->name;
            parts.push_back(node->reader->read_node(*node->conn, node->dlq_here));
        }
    } catch (const UsageError&) {
        throw;
    } catch (const Error& e) {
        nodes_.clear();
        return unread_history(ctx_, fmt::format("history, consumer groups, DLQ and agents not read: {}: {}", at, e.what()));
    }
    HistorySnapshot h = merge_history(parts);
    h.ns = ctx_.history_prefix;
    h.dlq_key = HistoryKeys(ctx_.history_prefix).dlq();
    h.agents = beats_.agents(std::chrono::system_clock::now());
    h.agents_alive = static_cast<std::size_t>(
        std::count_if(h.agents.begin(), h.agents.end(), [](const AgentBeat& a) { return a.alive; }));
    return h;
}

HistorySnapshot merge_history(const std::vector<HistorySnapshot>& parts) {
    HistorySnapshot h;
    if (parts.empty()) return h;
    h.ns = parts[0].ns;
    h.dlq_key = parts[0].dlq_key;
    h.server_time_ms = parts[0].server_time_ms;
    h.raptorbus.complete = true;
    h.raptorbus.limit = parts[0].raptorbus.limit;
    for (const HistorySnapshot& p : parts) {
        // Entry times are each node's clock: kept as ages from the first node's.
        long long shift = h.server_time_ms - p.server_time_ms;
        for (HistoryStream s : p.streams) {
            if (s.oldest_ms) *s.oldest_ms += shift;
            if (s.newest_ms) *s.newest_ms += shift;
            h.streams.push_back(std::move(s));
        }
        h.dlq_length += p.dlq_length;
        for (const auto& [channel, n] : p.raptorbus.persisted) h.raptorbus.persisted[channel] += n;
        for (const auto& [reason, n] : p.raptorbus.dlq) h.raptorbus.dlq[reason] += n;
        h.raptorbus.examined += p.raptorbus.examined;
        h.raptorbus.complete = h.raptorbus.complete && p.raptorbus.complete;
    }
    std::sort(h.streams.begin(), h.streams.end(),
              [](const HistoryStream& a, const HistoryStream& b) { return a.key < b.key; });
    return h;
}

}  // namespace rbus
