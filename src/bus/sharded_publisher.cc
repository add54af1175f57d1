#include "bus/sharded_publisher.h"

#include <algorithm>

#include <fmt/format.h>

#include "redis/connect.h"
#include "redis/crc16.h"
#include "base/error.h"
#include "base/log.h"
#include "bus/publisher.h"

namespace rbus {
namespace {

constexpr int kMaxRedirects = 5;

// The MOVED/ASK error inside a batch failure reason ("host refused PUBLISH: MOVED 12 h:p").
std::optional<Redirect> redirect_in(std::string_view reason, std::string_view fallback_host) {
    for (std::string_view word : {"MOVED ", "ASK "}) {
        std::size_t at = reason.find(word);
        if (at != std::string_view::npos && (at == 0 || reason[at - 1] == ' '))
            return parse_redirect(reason.substr(at), fallback_host);
    }
    return std::nullopt;
}

}  // namespace

Connection& NodeConnections::get(const HostPort& node) {
    for (auto& [addr, conn] : conns_)
        if (same_node(addr, node)) return *conn;
    conns_.emplace_back(node, connect_bus(node_options(options_, node), client_name_));
    return *conns_.back().second;
}

void NodeConnections::drop(const HostPort& node) {
    conns_.erase(std::remove_if(conns_.begin(), conns_.end(), [&](const auto& c) { return same_node(c.first, node); }),
                 conns_.end());
}

Reply NodeConnections::command_for_slot(ClusterTopology& topology, int slot, const std::vector<std::string_view>& args) {
    std::string resp;
    append_resp(resp, args.data(), args.size());
    std::string what(args[0]);
    if (args.size() > 1) what.append(" ").append(args[1]);
    return command_for_slot(topology, slot, resp, what);
}

namespace {

// append_raw + flush + read, as Connection::command does for arguments.
Reply raw_command(Connection& conn, std::string_view resp, std::chrono::milliseconds timeout) {
    Deadline deadline = deadline_after(timeout);
    conn.append_raw(resp);
    conn.flush(deadline);
    for (;;) {
        Reply r = conn.read_reply(deadline);
        if (r) {
            if (r->type == REDIS_REPLY_ERROR) throw ReplyError(std::string(reply_text(r.get())));
            return r;
        }
        if (deadline && Clock::now() >= *deadline)
            throw TimeoutError(fmt::format("no reply from {} within {}ms", conn.peer(), timeout.count()));
    }
}

}  // namespace

Reply NodeConnections::command_for_slot(ClusterTopology& topology, int slot, std::string_view resp,
                                        std::string_view what) {
    std::optional<HostPort> target = topology.owner(slot);
    bool asking = false;
    for (int hop = 0;; ++hop) {
        if (!target) throw Error(fmt::format("no cluster node serves slot {}: is the cluster down?", slot));
        Connection* conn = nullptr;
        std::unique_ptr<Connection> once;  // ASK: a one-off connection for ASKING + the command
        if (asking) {
            once = connect_bus(node_options(options_, *target), client_name_);
            once->command({"ASKING"}, options_.reply_timeout);
            conn = once.get();
        } else {
            conn = &get(*target);
        }
        try {
            return raw_command(*conn, resp, options_.reply_timeout);
        } catch (const ReplyError& e) {
            auto redirect = parse_redirect(e.what(), target->host);
            if (!redirect || hop >= kMaxRedirects) throw;
            logger().info("{} on {}: {}", what, node_name(*target), e.what());
            asking = redirect->kind == Redirect::Kind::ask;
            if (!asking) topology = discover_topology(options_, client_name_, {redirect->target});
            target = redirect->target;
        } catch (const IoError&) {
            drop(*target);
            throw;
        }
    }
}

ShardedPublisher::ShardedPublisher(const Context& ctx, std::string client_name, bool record_metrics)
    : ctx_(ctx), record_metrics_(record_metrics), nodes_(ctx.connect, std::move(client_name)) {}

void ShardedPublisher::start() { topology_ = discover_topology(nodes_.options(), nodes_.client_name()); }

long long ShardedPublisher::publish(const Envelope& env) {
    std::string channel = ctx_.publish_channel(env.type());
    std::string body = env.dump();
    long long receivers =
        integer_of(nodes_.command_for_slot(topology_, hash_slot(channel), {"SPUBLISH", channel, body}).get(), "SPUBLISH");
    if (record_metrics_) {
        std::string key = metrics_key(channel);
        try {
            nodes_.command_for_slot(topology_, hash_slot(key), {"INCR", key});
        } catch (const ReplyError& e) {
            logger().warn("INCR {} refused: {}", key, e.what());
        }
    }
    if (logger().enabled(LogLevel::info)) {
        LogFields fields;
        if (const std::string* w = env.workspace_id()) fields.emplace_back("workspace_id", *w);
        if (const std::string* c = env.request_id()) fields.emplace_back("correlation_id", *c);
        fields.emplace_back("receivers", std::to_string(receivers));
        logger().info(fmt::format("Published event {} to {} (sharded)", env.type(), channel), fields);
    }
    return receivers;
}

ShardedBatchPublisher::ShardedBatchPublisher(const Context& ctx, BatchOptions options, BatchHandlers handlers)
    : ctx_(ctx), options_(options), handlers_(std::move(handlers)) {}

ShardedBatchPublisher::~ShardedBatchPublisher() = default;

void ShardedBatchPublisher::start() {
    nodes_ = std::make_unique<NodeConnections>(ctx_.connect, "rbus-publish");
    topology_ = discover_topology(ctx_.connect, "rbus-publish");
    logger().debug("sharded batch over {} master(s){}", topology_.masters().size(),
                   topology_.cluster ? "" : " (a standalone server)");
}

std::unique_ptr<Connection> ShardedBatchPublisher::connect_following(Target& target) {
    try {
        return connect_bus(node_options(ctx_.connect, target.node), "rbus-publish");
    } catch (const ConnectError& e) {
        std::vector<HostPort> others;
        for (const auto& m : topology_.masters())
            if (!same_node(m, target.node)) others.push_back(m);
        try {
            topology_ = discover_topology(ctx_.connect, "rbus-publish", others);
        } catch (const ConnectError&) {
            throw e;
        }
        std::optional<HostPort> owner = topology_.owner(target.slot);
        if (!owner || same_node(*owner, target.node)) throw;  // no failover (yet): the engine's backoff waits
        logger().warn("{} is down ({}); its slots are now served by {}", node_name(target.node), e.what(),
                      node_name(*owner));
        target.node = *owner;
        return connect_bus(node_options(ctx_.connect, target.node), "rbus-publish");
    }
}

BatchPublisher& ShardedBatchPublisher::engine_for(const HostPort& node) {
    for (auto& [target, engine] : engines_)
        if (same_node(target->node, node)) return *engine;
    BatchOptions o = options_;
    o.command = "SPUBLISH";
    o.record_metrics = false;  // the counter key is in another slot: see send_metrics()
    BatchHandlers h;
    h.published = [this](const BatchEvent& ev, long long receivers) {
        if (options_.record_metrics) ++published_per_channel_[std::string(ev.channel)];
        hops_.erase(ev.line);
        if (handlers_.published) handlers_.published(ev, receivers);
    };
    h.failed = [this, node](const BatchEvent& ev, const std::string& reason) {
        if (auto r = redirect_in(reason, node.host); r && hops_[ev.line] < kMaxRedirects) {
            redirected_.push_back(
                Redirected{ev.line, std::string(ev.channel), std::string(ev.body), reason});
            return;  // sent again by redirect_pending(), outside this engine's reply loop
        }
        hops_.erase(ev.line);
        if (handlers_.failed) handlers_.failed(ev, reason);
    };
    auto target = std::make_shared<Target>(Target{node, 0});
    for (const auto& r : topology_.ranges)
        if (same_node(r.master, node)) {
            target->slot = r.first;
            break;
        }
    auto engine = std::make_unique<BatchPublisher>([this, target] { return connect_following(*target); }, o,
                                                   std::move(h));
    engine->start();
    engines_.emplace_back(std::move(target), std::move(engine));
    return *engines_.back().second;
}

void ShardedBatchPublisher::route(const BatchEvent& ev) {
    int slot = hash_slot(ev.channel);
    std::optional<HostPort> owner = topology_.owner(slot);
    if (!owner) {
        if (handlers_.failed)
            handlers_.failed(ev, fmt::format("no cluster node serves slot {}: is the cluster down?", slot));
        return;
    }
    BatchPublisher* engine = nullptr;
    try {
        engine = &engine_for(*owner);
    } catch (const ConnectError& e) {
        if (handlers_.failed) handlers_.failed(ev, fmt::format("{} unreachable: {}", node_name(*owner), e.what()));
        return;
    }
    engine->add(ev);
}

void ShardedBatchPublisher::redirect_pending() {
    while (!redirected_.empty()) {
        std::vector<Redirected> batch = std::move(redirected_);
        redirected_.clear();
        bool moved = false;
        for (const Redirected& r : batch) moved = moved || r.error.find("MOVED ") != std::string::npos;
        if (moved) {
            try {
                topology_ = discover_topology(ctx_.connect, "rbus-publish", topology_.masters());
            } catch (const ConnectError& e) {
                logger().warn("cannot refresh the cluster topology: {}", e.what());
            }
        }
        for (const Redirected& r : batch) {
            BatchEvent ev{r.line, r.channel, r.body};
            ++hops_[r.line];
            auto redirect = redirect_in(r.error, {});
            if (redirect && redirect->kind == Redirect::Kind::ask) {
                // ASK: this one command goes to the target, after ASKING, on a connection of its own.
                try {
                    auto conn = connect_bus(node_options(ctx_.connect, redirect->target), "rbus-publish");
                    conn->command({"ASKING"}, options_.reply_timeout);
                    Reply reply = conn->command({"SPUBLISH", ev.channel, ev.body}, options_.reply_timeout);
                    hops_.erase(ev.line);
                    if (options_.record_metrics) ++published_per_channel_[r.channel];
                    if (handlers_.published) handlers_.published(ev, integer_of(reply.get(), "SPUBLISH"));
                } catch (const Error& e) {
                    hops_.erase(ev.line);
                    if (handlers_.failed) handlers_.failed(ev, fmt::format("after {}: {}", r.error, e.what()));
                }
                continue;
            }
            logger().info("line {}: {}; sending again", r.line, r.error);
            route(ev);
        }
        for (auto& [target, engine] : engines_) engine->flush();
    }
}

void ShardedBatchPublisher::add(const BatchEvent& ev) {
    route(ev);
    if (!redirected_.empty()) redirect_pending();
}

void ShardedBatchPublisher::flush() {
    for (auto& [target, engine] : engines_) engine->flush();
    redirect_pending();
}

void ShardedBatchPublisher::finish() {
    for (;;) {
        for (auto& [target, engine] : engines_) engine->finish();
        if (redirected_.empty()) break;
        redirect_pending();  // events sent again are confirmed by the next round
    }
    send_metrics();
}

void ShardedBatchPublisher::send_metrics() {
    for (const auto& [channel, n] : published_per_channel_) {
        std::string key = metrics_key(channel), by = std::to_string(n);
        try {
            nodes_->command_for_slot(topology_, hash_slot(key), {"INCRBY", key, by});
        } catch (const Error& e) {
            logger().warn("INCRBY {} {} not recorded: {}", key, by, e.what());
        }
    }
    published_per_channel_.clear();
}

}  // namespace rbus
