// Receiving in sharded pub/sub mode (--sharded): SSUBSCRIBE on one connection
// per master that owns a channel's hash slot, messages from all of them
// handed out a burst at a time: a BusSubscriber (bus_subscriber.h), so that
// the consume loop drives it as it drives the plain Subscriber.
//
// When a slot moves (Redis 7 sends "sunsubscribe" for the channels of a slot
// a node gave away) or a SSUBSCRIBE is answered with MOVED/ASK, the channel's
// owner is looked up again in a fresh topology and the channel is subscribed
// there; a lost node connection ends the poll with IoError, and the consume
// loop's reconnect reads the topology again (start()) and resubscribes all.
// On a standalone Redis 7 the one server owns every slot.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "redis/cluster_topology.h"
#include "bus/subscriber.h"

namespace rbus {

// Checks that every subscription is a plain channel; throws UsageError
// (exit 2) for patterns and --all, which sharded pub/sub cannot express.
void check_sharded_subscriptions(const std::vector<Subscription>& subs);

class ShardedSubscriber final : public BusSubscriber {
public:
    // Throws UsageError for patterns (see check_sharded_subscriptions).
    ShardedSubscriber(ConnectOptions options, std::string client_name, std::vector<Subscription> subs);
    ~ShardedSubscriber() override;
    ShardedSubscriber(const ShardedSubscriber&) = delete;
    ShardedSubscriber& operator=(const ShardedSubscriber&) = delete;

    // Reads the topology, connects to each owning master and waits until
    // every channel is confirmed.
    void start() override;
    // Over every node connection.
    Wake poll(Deadline deadline, const std::function<bool(const BusMessage&)>& on_message) override;
    // PINGs every node; throws IoError when a node did not answer the previous PING.
    void ping() override;
    void close() override;
    bool connected() const { return !nodes_.empty(); }
    // "": the subscriptions are spread over the owning masters.
    std::string peer() const override { return {}; }

    const std::vector<Subscription>& subscriptions() const { return subs_; }

private:
    struct Node;
    struct Pending {
        std::string channel;
        std::optional<HostPort> hint;  // from MOVED/ASK
        bool ask = false;
        Clock::time_point due;
    };
    struct Early {
        std::string channel, data;
    };

    Node& node_for(const HostPort& addr, bool fresh);
    void subscribe_on(Node& node, const std::string& channel, bool asking);
    void resolve_pending();
    void retry_later(Pending p);
    bool handle(Node& node, redisReply* r, const std::function<bool(const BusMessage&)>& on_message);
    // Handles replies already buffered, else waits for data on any node (or
    // until `until`) and handles what came. True when a reply was handled.
    bool pump(Deadline until, const std::function<bool(const BusMessage&)>& on_message);
    Deadline next_due() const;
    bool all_confirmed() const;

    ConnectOptions options_;
    std::string client_name_;
    std::vector<Subscription> subs_;
    ClusterTopology topology_;
    std::vector<std::unique_ptr<Node>> nodes_;
    std::vector<Pending> pending_;
    std::optional<Clock::time_point> retry_at_;
    std::map<std::string, int> attempts_;  // SSUBSCRIBE sent without a confirmation yet, per channel
    std::vector<std::string> moving_;  // channels being resubscribed after a slot move
    std::deque<Early> early_;  // messages that arrived while start() waited for confirmations
};

}  // namespace rbus
