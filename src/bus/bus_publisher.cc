#include "bus/bus_publisher.h"

#include "base/error.h"
#include "bus/cluster_slots.h"
#include "bus/history_cluster.h"
#include "bus/sharded_publisher.h"
#include "redis/connect.h"

namespace rbus {
namespace {

// PUBLISH over one connection.
class ConnectionPublisher final : public BusPublisher {
public:
    ConnectionPublisher(const Context& ctx, std::unique_ptr<Connection> conn, PublishOptions options)
        : ctx_(ctx), conn_(std::move(conn)), publisher_(*conn_, ctx, options) {}

    long long publish(const Envelope& env) override { return publisher_.publish(env); }

    bool counts_one_node() override {
        try {
            Reply info = conn_->command({"INFO", "cluster"}, ctx_.connect.reply_timeout);
            return reply_text(info.get()).find("cluster_enabled:1") != std::string_view::npos;
        } catch (const Error&) {
            return false;  // a proxy without INFO: say nothing about nodes
        }
    }

private:
    const Context& ctx_;
    std::unique_ptr<Connection> conn_;
    Publisher publisher_;
};

}  // namespace

std::unique_ptr<BusBatchPublisher> make_batch_publisher(const Context& ctx, BatchOptions options,
                                                        BatchHandlers handlers, const HistorySettings* history) {
    if (history && bus_is_cluster(ctx, "rbus-publish"))
        return std::make_unique<ClusterHistoryBatch>(ctx, *history, options, std::move(handlers));
    if (ctx.sharded) return std::make_unique<ShardedBatchPublisher>(ctx, std::move(options), std::move(handlers));
    return std::make_unique<BatchPublisher>([&ctx] { return connect_bus(ctx.connect, "rbus-publish"); },
                                            std::move(options), std::move(handlers));
}

std::unique_ptr<BusPublisher> connect_publisher(const Context& ctx, std::string client_name, PublishOptions options) {
    // --history on a Cluster: the history on its keys' masters first, then the PUBLISH.
    auto cluster_history = [&] {
        auto p = std::make_unique<ClusterHistoryPublisher>(ctx, *options.history, options.record_metrics,
                                                           options.retries);
        p->start();
        return p;
    };
    if (options.history && cluster_by_flags(ctx)) return cluster_history();
    if (ctx.sharded) {
        auto sharded = std::make_unique<ShardedPublisher>(ctx, std::move(client_name), options.record_metrics);
        sharded->start();
        return sharded;
    }
    auto conn = connect_bus(ctx.connect, client_name, Greeting::pipelined);
    if (options.history && is_cluster_node(*conn, ctx.connect.reply_timeout)) {  // one node of a cluster as the URL
        conn.reset();
        return cluster_history();
    }
    return std::make_unique<ConnectionPublisher>(ctx, std::move(conn), options);
}

}  // namespace rbus
