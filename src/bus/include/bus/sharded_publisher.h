// Publishing in sharded pub/sub mode (--sharded): SPUBLISH sent to the master
// that owns the channel's hash slot, MOVED (refresh the topology, send again)
// and ASK (ASKING, then the command, on the target) followed. One event at a
// time (ShardedPublisher), or a batch pipelined per node (ShardedBatchPublisher).
// Both are chosen by bus_publisher.h, in place of their plain counterparts.
//
// --record-metrics in sharded mode: the counter key lives in its own slot, so
// its INCR goes to that key's owner (batches add the counts up and send one
// INCRBY per channel at the end).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bus/batch_publisher.h"
#include "bus/bus_publisher.h"
#include "redis/cluster_topology.h"
#include "event/run_context.h"
#include "event/envelope.h"

namespace rbus {

// Open connections to cluster nodes, one per node, opened on first use.
class NodeConnections {
public:
    NodeConnections(ConnectOptions options, std::string client_name)
        : options_(std::move(options)), client_name_(std::move(client_name)) {}
    Connection& get(const HostPort& node);
    void drop(const HostPort& node);
    // Runs one command on `slot`'s owner, following MOVED/ASK (refreshing
    // `topology`); throws ReplyError for other error replies.
    Reply command_for_slot(ClusterTopology& topology, int slot, const std::vector<std::string_view>& args);
    // The same for one command already written as RESP (append_resp); `what`
    // names it in logs.
    Reply command_for_slot(ClusterTopology& topology, int slot, std::string_view resp, std::string_view what);
    const ConnectOptions& options() const { return options_; }
    const std::string& client_name() const { return client_name_; }

private:
    ConnectOptions options_;
    std::string client_name_;
    std::vector<std::pair<HostPort, std::unique_ptr<Connection>>> conns_;
};

class ShardedPublisher final : public BusPublisher {
public:
    ShardedPublisher(const Context& ctx, std::string client_name, bool record_metrics);
    // Reads the topology; throws ConnectError when no seed answers.
    void start();
    // SPUBLISH on the owner of the channel's slot; returns the receivers
    // (subscribers of that channel on its shard). Logs as Publisher does.
    long long publish(const Envelope& env) override;
    // SPUBLISH counts the subscribers of the channel's shard, not of one node.
    bool counts_one_node() override { return false; }

private:
    const Context& ctx_;
    bool record_metrics_;
    NodeConnections nodes_;
    ClusterTopology topology_;
};

// The batch engine of rbus-publish --sharded: one pipelined BatchPublisher
// (SPUBLISH) per owning master, events redirected by MOVED/ASK sent again to
// their new owner, a failed master's events sent on to the replica that took
// its slots.
class ShardedBatchPublisher final : public BusBatchPublisher {
public:
    ShardedBatchPublisher(const Context& ctx, BatchOptions options, BatchHandlers handlers);
    ~ShardedBatchPublisher() override;
    ShardedBatchPublisher(const ShardedBatchPublisher&) = delete;
    ShardedBatchPublisher& operator=(const ShardedBatchPublisher&) = delete;

    void start() override;
    void add(const BatchEvent& ev) override;
    void flush() override;
    void finish() override;

private:
    struct Redirected {
        std::uint64_t line;
        std::string channel, body, error;
    };
    // Where one engine sends: its node, and a slot the node served when the
    // engine began, to find the node's successor after a failover.
    struct Target {
        HostPort node;
        int slot = 0;
    };
    BatchPublisher& engine_for(const HostPort& node);
    // Connects to the target; when that fails and the cluster has given the
    // target's slots to another master (a failover), follows them there.
    std::unique_ptr<Connection> connect_following(Target& target);
    void route(const BatchEvent& ev);
    void redirect_pending();
    void send_metrics();

    const Context& ctx_;
    BatchOptions options_;
    BatchHandlers handlers_;
    ClusterTopology topology_;
    std::vector<std::pair<std::shared_ptr<Target>, std::unique_ptr<BatchPublisher>>> engines_;
    std::vector<Redirected> redirected_;
    std::map<std::string, long long> published_per_channel_;  // for --record-metrics
    std::unique_ptr<NodeConnections> nodes_;
    std::map<std::uint64_t, int> hops_;  // input line → redirections so far
};

}  // namespace rbus
