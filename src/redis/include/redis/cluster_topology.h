// Redis Cluster topology as rbus needs it for sharded pub/sub: which master
// owns which hash slots (CLUSTER SLOTS), redirections (MOVED/ASK), and
// channels grouped by the node that owns them. A standalone server is a
// "topology" of one node owning every slot, so that --sharded also works on
// a single Redis 7 (SPUBLISH/SSUBSCRIBE exist there too).
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "redis/connection.h"
#include "redis/connect_options.h"
#include "redis/url.h"

namespace rbus {

// "host:port", IPv6 in brackets: the name of a node in logs and maps.
std::string node_name(const HostPort& node);
bool same_node(const HostPort& a, const HostPort& b);

struct SlotRange {
    int first = 0, last = 0;  // inclusive
    HostPort master;
    std::string master_id;       // empty when the server did not say
    std::vector<HostPort> replicas;
};

struct ClusterTopology {
    bool cluster = true;  // false: a standalone server owning every slot
    std::vector<SlotRange> ranges;  // sorted by first slot

    // The master that owns `slot`, or nothing when no node serves it.
    std::optional<HostPort> owner(int slot) const;
    // Every master, then every replica, each once, in slot order.
    std::vector<HostPort> masters() const;
    std::vector<HostPort> replicas() const;

    static ClusterTopology standalone(HostPort node);
};

// Parses a CLUSTER SLOTS reply. An empty, nil or "?" host (a node that does
// not know its own address) becomes `fallback_host`, the host we asked. Throws
// ProtocolError on a reply of another shape, or when two ranges share a slot.
ClusterTopology parse_cluster_slots(const redisReply* reply, std::string_view fallback_host);

// A redirection from an error reply: "MOVED 3999 127.0.0.1:6381" (the slot
// has a new owner: refresh the topology) or "ASK 3999 127.0.0.1:6381" (this
// one command goes to the target, preceded by ASKING). An empty or "?" host
// (":6381", "?:6381") becomes `fallback_host`; IPv6 comes unbracketed
// ("::1:6381") or in brackets.
struct Redirect {
    enum class Kind { moved, ask } kind = Kind::moved;
    int slot = 0;
    HostPort target;
};
std::optional<Redirect> parse_redirect(std::string_view error, std::string_view fallback_host = {});

// Channels grouped by the master that owns their slot, nodes in the order of
// their first channel, channels in the order given. Throws Error naming the
// channel when its slot has no owner (the cluster is down for that slot).
struct NodeChannels {
    HostPort node;
    std::vector<std::string> channels;
};
std::vector<NodeChannels> group_by_owner(const ClusterTopology& topology, const std::vector<std::string>& channels);

// The connect options for one node: the base options (credentials, TLS,
// timeouts) with that node as the only host.
ConnectOptions node_options(const ConnectOptions& base, const HostPort& node);

// Asks a connected node for the topology: CLUSTER SLOTS, or a standalone
// topology of `self` when the server has cluster support disabled.
ClusterTopology read_topology(Connection& conn, const HostPort& self, std::chrono::milliseconds timeout);

// Reads the topology from the URL's hosts (cluster seeds), tried in order,
// and from `known` nodes first when given (a refresh after MOVED). Throws
// ConnectError when none answers.
ClusterTopology discover_topology(const ConnectOptions& options, std::string_view client_name,
                                  const std::vector<HostPort>& known = {});

}  // namespace rbus
