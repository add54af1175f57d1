#include "bus/cluster_slots.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/error.h"
#include "base/log.h"
#include "redis/connect.h"
#include "redis/crc16.h"

namespace rbus {

SlotCommand slot_command(std::string_view key, const std::vector<std::string_view>& args) {
    SlotCommand c;
    c.slot = hash_slot(key);
    append_resp(c.resp, args.data(), args.size());
    c.what = args.empty() ? std::string_view() : args[0];
    return c;
}

ClusterSlots::ClusterSlots(const ConnectOptions& options, std::string client_name)
    : nodes_(options, std::move(client_name)) {}

void ClusterSlots::start() {
    topology_ = discover_topology(nodes_.options(), nodes_.client_name());
    logger().debug("history over {} cluster master(s)", topology_.masters().size());
}

Reply ClusterSlots::command(int slot, const std::vector<std::string_view>& args) {
    return nodes_.command_for_slot(topology_, slot, args);
}

Connection& ClusterSlots::owner_of(int slot) {
    std::optional<HostPort> owner = topology_.owner(slot);
    if (!owner) throw Error(fmt::format("no cluster node serves slot {}: is the cluster down?", slot));
    return nodes_.get(*owner);
}

bool ClusterSlots::moved(std::string_view error) {
    std::optional<Redirect> r = parse_redirect(error);
    if (!r || r->kind != Redirect::Kind::moved) return false;
    logger().info("{}; reading the cluster's topology again", error);
    topology_ = discover_topology(nodes_.options(), nodes_.client_name(), {r->target});
    return true;
}

namespace {

// The commands of one run that go to one master.
struct NodeBatch {
    HostPort node;
    std::vector<std::size_t> at;  // indexes into the run's commands
    Connection* conn = nullptr;
    std::string lost;  // why the node could not be written to
};

}  // namespace

std::vector<SlotResult> ClusterSlots::run(const std::vector<SlotCommand>& commands) {
    std::vector<SlotResult> out(commands.size());
    std::vector<NodeBatch> batches;
    for (std::size_t i = 0; i < commands.size(); ++i) {
        std::optional<HostPort> owner = topology_.owner(commands[i].slot);
        if (!owner) {
            out[i].error = fmt::format("no cluster node serves slot {}: is the cluster down?", commands[i].slot);
            continue;
        }
        auto it = std::find_if(batches.begin(), batches.end(), [&](const NodeBatch& b) { return same_node(b.node, *owner); });
        if (it == batches.end()) it = batches.insert(batches.end(), NodeBatch{*owner, {}, nullptr, {}});
        it->at.push_back(i);
    }
    // Every master's pipeline is sent before any reply is read: the masters work at once.
    for (NodeBatch& b : batches) {
        try {
            b.conn = &nodes_.get(b.node);
            for (std::size_t i : b.at) b.conn->append_raw(commands[i].resp);
            b.conn->flush(deadline_after(reply_timeout()));
        } catch (const ConnectError& e) {
            b.lost = e.what();
            nodes_.drop(b.node);
        }
    }
    std::vector<std::size_t> redirected;
    for (NodeBatch& b : batches) {
        std::size_t k = 0;
        try {
            if (!b.lost.empty()) throw ConnectError(b.lost);
            Deadline deadline = deadline_after(reply_timeout());
            while (k < b.at.size()) {
                Reply r = b.conn->read_reply(deadline);
                if (!r) {
                    if (deadline && Clock::now() >= *deadline)
                        throw TimeoutError(fmt::format("no reply within {}ms", reply_timeout().count()));
                    continue;  // a signal: the replies are still owed
                }
                std::size_t i = b.at[k++];
                if (r->type != REDIS_REPLY_ERROR) {
                    out[i].reply = std::move(r);
                } else if (parse_redirect(reply_text(r.get()))) {
                    redirected.push_back(i);
                } else {
                    out[i].error = std::string(reply_text(r.get()));
                }
            }
        } catch (const ConnectError& e) {
            if (b.lost.empty()) nodes_.drop(b.node);
            for (; k < b.at.size(); ++k) {
                out[b.at[k]].error = fmt::format("{}: {}", node_name(b.node), e.what());
                out[b.at[k]].lost = true;
            }
        }
    }
    // A slot that moved: its commands one at a time, each redirection followed.
    for (std::size_t i : redirected) {
        try {
            out[i].reply = nodes_.command_for_slot(topology_, commands[i].slot, commands[i].resp, commands[i].what);
        } catch (const ConnectError& e) {
            out[i].error = e.what();
            out[i].lost = true;
        } catch (const Error& e) {
            out[i].error = e.what();
        }
    }
    return out;
}

std::unique_ptr<ClusterSlots> open_history_bus(const Context& ctx, std::string_view client_name,
                                               std::unique_ptr<Connection>& conn) {
    if (!cluster_by_flags(ctx)) {
        conn = connect_bus(ctx.connect, client_name);
        if (!is_cluster_node(*conn, ctx.connect.reply_timeout)) return nullptr;
        conn.reset();  // one node of a cluster as the URL
    }
    auto slots = std::make_unique<ClusterSlots>(ctx.connect, std::string(client_name));
    slots->start();
    return slots;
}

bool cluster_by_flags(const Context& ctx) { return ctx.sharded || ctx.connect.url.is_cluster_seeds(); }

bool is_cluster_node(Connection& conn, std::chrono::milliseconds timeout) {
    Reply info = conn.command({"INFO", "cluster"}, timeout);
    return reply_text(info.get()).find("cluster_enabled:1") != std::string_view::npos;
}

}  // namespace rbus
