#include "bus/bus_subscriber.h"

#include "bus/sharded_subscriber.h"
#include "bus/subscriber.h"

namespace rbus {

std::unique_ptr<BusSubscriber> make_subscriber(const Context& ctx, std::string client_name,
                                               std::vector<Subscription> subs) {
    if (ctx.sharded) return std::make_unique<ShardedSubscriber>(ctx.connect, std::move(client_name), std::move(subs));
    return std::make_unique<Subscriber>(ctx.connect, std::move(client_name), std::move(subs));
}

}  // namespace rbus
