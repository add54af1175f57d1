// Commands for a Redis Cluster's keys, each run on the master that owns its
// key's hash slot: pipelined per master (one connection each), replies handed
// back in the order given, a MOVED or ASK reply followed as sharded pub/sub
// follows it (NodeConnections::command_for_slot). History on a Cluster (SPEC §8)
// writes and reads through this: a channel's stream and seen marks share the
// slot of its hash tag, RaptorBus's msg:{channel}:{id} keys each have their own.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bus/sharded_publisher.h"
#include "redis/cluster_topology.h"
#include "redis/connect_options.h"
#include "redis/connection.h"
#include "event/run_context.h"

namespace rbus {

// One command as RESP (append_resp), for the master of `slot`.
struct SlotCommand {
    int slot = 0;
    std::string resp;
    std::string_view what;  // the command's name, for errors ("PUBLISH")
};

// Its reply, or why there is none: the server's error reply as it came
// ("WRONGTYPE ...", "OOM ..."), or the node that could not be reached.
struct SlotResult {
    Reply reply;
    std::string error;
    bool lost = false;  // the node unreachable or its connection broken: worth sending again
    bool ok() const { return error.empty(); }
};

// The seam the history writers use, so that their phases are tested without a cluster.
class SlotRunner {
public:
    virtual ~SlotRunner() = default;
    // Every command run once; results in the order of `commands`.
    virtual std::vector<SlotResult> run(const std::vector<SlotCommand>& commands) = 0;
};

// The SlotCommand of `args` on the slot of `key`.
SlotCommand slot_command(std::string_view key, const std::vector<std::string_view>& args);

class ClusterSlots : public SlotRunner {
public:
    ClusterSlots(const ConnectOptions& options, std::string client_name);
    // Reads the topology from the URL's seeds. Throws ConnectError.
    void start();

    std::vector<SlotResult> run(const std::vector<SlotCommand>& commands) override;
    // One command on the master of `slot`, MOVED/ASK followed; an error reply throws ReplyError.
    Reply command(int slot, const std::vector<std::string_view>& args);
    // Every master, in slot order, and the connection to one (opened on first use).
    std::vector<HostPort> masters() const { return topology_.masters(); }
    Connection& node(const HostPort& master) { return nodes_.get(master); }
    // The connection to the master of `slot`; Error when no node serves it.
    Connection& owner_of(int slot);
    // After `error` (a reply to a command sent on owner_of): true when it was a
    // MOVED and the topology is read again, so that the command can be sent again.
    bool moved(std::string_view error);
    std::chrono::milliseconds reply_timeout() const { return nodes_.options().reply_timeout; }

private:
    NodeConnections nodes_;
    ClusterTopology topology_;
};

// True when the context names a cluster without asking it: --sharded, or
// several seeds in the URL (not Sentinel).
bool cluster_by_flags(const Context& ctx);
// True when the connected server is a cluster node (INFO cluster).
bool is_cluster_node(Connection& conn, std::chrono::milliseconds timeout);

// Where the history keys are: on a Redis Cluster (by the flags, or asked of
// the server) a started ClusterSlots; else nothing, and `conn` connected to the one node.
std::unique_ptr<ClusterSlots> open_history_bus(const Context& ctx, std::string_view client_name,
                                               std::unique_ptr<Connection>& conn);

}  // namespace rbus
