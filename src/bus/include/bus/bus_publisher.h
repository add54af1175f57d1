// What every way of publishing one event offers: BusPublisher, the one
// interface that PUBLISH over one connection and SPUBLISH on the owner of the
// channel's slot (--sharded, ShardedPublisher in sharded_publisher.h)
// implement, and connect_publisher(), the one place that chooses between them;
// the same for a batch (--stdin / --envelopes): make_batch_publisher().
#pragma once

#include <memory>
#include <string>

#include "bus/batch_publisher.h"
#include "bus/publisher.h"

namespace rbus {

class BusPublisher {
public:
    virtual ~BusPublisher() = default;
    // Publishes one envelope on ctx.publish_channel(its type) and returns how
    // many subscribers received it. Throws ReplyError, IoError.
    virtual long long publish(const Envelope& env) = 0;
    // True when that count is one Redis Cluster node's subscribers (PUBLISH
    // through a node of a cluster): asks the server, false when it cannot say.
    virtual bool counts_one_node() = 0;
};

// Connected and ready: PUBLISH over connect_bus(ctx.connect) (CLIENT SETNAME
// pipelined with the first event), or with ctx.sharded a ShardedPublisher
// that has read the topology, or with options.history on a Cluster (by the
// flags, or the URL's node says so) a ClusterHistoryPublisher
// (history_cluster.h). Throws ConnectError.
std::unique_ptr<BusPublisher> connect_publisher(const Context& ctx, std::string client_name, PublishOptions options);

// Not started: a BatchPublisher over connect_bus(ctx.connect) (one connection,
// PUBLISH), or with ctx.sharded a ShardedBatchPublisher (one per owning master),
// or with `history` (--history, not --dry-run) on a Cluster (bus_is_cluster
// asks) a ClusterHistoryBatch (history_cluster.h).
std::unique_ptr<BusBatchPublisher> make_batch_publisher(const Context& ctx, BatchOptions options,
                                                        BatchHandlers handlers,
                                                        const HistorySettings* history = nullptr);

}  // namespace rbus
