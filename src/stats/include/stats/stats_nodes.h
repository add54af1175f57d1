// What rbus-stats reads from one node, and from every node of a Redis
// Cluster: a cluster spreads subscriptions (each client is subscribed on the
// node it is connected to), sharded channels (on their slot's owner) and the
// metric counter keys (on their slot's owner) over its nodes, so each is read
// node by node and summed.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "redis/cluster_topology.h"
#include "redis/connection.h"
#include "app/context.h"
#include "stats/stats.h"

namespace rbus {

// PINGs (round trips kept), then INFO: version, uptime, connected clients.
void read_node_info(Connection& conn, std::chrono::milliseconds timeout, int ping_samples, NodeSnapshot& into);

// Subscribers of the channels under the prefix held on this connection's
// node, sorted by channel: PUBSUB CHANNELS + NUMSUB, or SHARDCHANNELS +
// SHARDNUMSUB when sharded.
std::vector<ChannelSubscribers> channel_subscribers(Connection& conn, const Context& ctx, bool sharded);

// Adds the metrics:channel:{channel}:published counters of this node (SCAN,
// never KEYS; then GET per key, pipelined, since a cluster refuses an MGET of
// keys in different slots).
void read_published_counters(Connection& conn, std::chrono::milliseconds timeout,
                             std::map<std::string, long long>& into);

// Every node of the topology, masters then replicas, each over its own
// connection. A node that cannot be read keeps its error and the others are
// still read. Counters are read from the masters and added to `counters`.
std::vector<NodeSnapshot> snapshot_nodes(const Context& ctx, const ClusterTopology& topology, int ping_samples,
                                         std::map<std::string, long long>& counters);

// The nodes' channels summed per channel, sorted; patterns summed likewise.
std::vector<ChannelSubscribers> sum_channels(const std::vector<NodeSnapshot>& nodes);
long long sum_patterns(const std::vector<NodeSnapshot>& nodes);

}  // namespace rbus
