// What every way of receiving from the bus offers: BusSubscriber, the one
// interface that the plain Subscriber (one connection, SUBSCRIBE/PSUBSCRIBE)
// and the ShardedSubscriber (--sharded: SSUBSCRIBE on each owning master)
// implement, and make_subscriber(), the one place that chooses between them.
// The consume loop (consumer.h), rbus-stats' traffic sampler and history
// replay drive a BusSubscriber without knowing which it is.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "redis/bus_message.h"
#include "redis/transport.h"  // Clock, Deadline

namespace rbus {

struct Context;

struct Subscription {
    std::string name;  // a channel, or a pattern for PSUBSCRIBE
    bool pattern = false;
};

class BusSubscriber {
public:
    virtual ~BusSubscriber() = default;

    // Connects, subscribes, and waits until every subscription is confirmed.
    // Throws ConnectError (unreachable, refused), TimeoutError, Interrupted.
    virtual void start() = 0;

    enum class Wake { messages, deadline, interrupted };
    // Waits until data arrives or the deadline passes, then hands every whole
    // message already received to on_message (one burst). on_message returns
    // false to stop early. Throws IoError when the connection is lost.
    // `interrupted`: a signal came, or nothing to hand out yet (poll again).
    virtual Wake poll(Deadline deadline, const std::function<bool(const BusMessage&)>& on_message) = 0;

    // Reads what has arrived into memory without handing it out (poll() does
    // later, in order), waiting at most until `until`: while the owner is busy
    // elsewhere (a replay before the live part, its output slow), the server's
    // pub/sub buffer limit does not drop the subscription. Called by one other
    // thread while the owner leaves the subscriber alone (LiveAbsorber). False
    // when it cannot take more (not supported, or kAbsorbAtMost held). Throws
    // IoError when the connection is lost.
    static constexpr std::size_t kAbsorbAtMost = 256u << 20;
    virtual bool absorb(Deadline until) {
        (void)until;
        return false;
    }

    // Sends a PING to find out whether a silent connection is still alive.
    // Throws IoError.
    virtual void ping() = 0;
    // Drops the connection(s) (after a loss); start() opens new ones.
    virtual void close() = 0;
    // The node the subscription is on ("127.0.0.1:6379"), or "" when not
    // connected or spread over several nodes.
    virtual std::string peer() const = 0;
};

// A Subscriber, or a ShardedSubscriber when ctx.sharded (then a pattern among
// `subs` is a UsageError, before anything connects). Not started. Connects
// with ctx.connect (its max_reply_bytes bounds a message).
std::unique_ptr<BusSubscriber> make_subscriber(const Context& ctx, std::string client_name,
                                               std::vector<Subscription> subs);

}  // namespace rbus
