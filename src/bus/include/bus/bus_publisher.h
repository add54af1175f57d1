// What every way of publishing one event offers: BusPublisher, the one
// interface that PUBLISH over one connection and SPUBLISH on the owner of the
// channel's slot (--sharded, ShardedPublisher in sharded_publisher.h)
// implement, and connect_publisher(), the one place that chooses between them.
// (A batch, --stdin / --envelopes, goes through BusBatchPublisher.)
#pragma once

#include <memory>
#include <string>

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
// that has read the topology. Throws ConnectError.
std::unique_ptr<BusPublisher> connect_publisher(const Context& ctx, std::string client_name, PublishOptions options);

}  // namespace rbus
