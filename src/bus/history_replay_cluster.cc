// HistoryReplay on a Redis Cluster: a channel's stream read on the master of
// its slot; stream patterns and RaptorBus's msg: keys found by SCAN on every
// master (each master holds only its own slots' keys) and read on their
// slot's master (a stream's pages pipelined as on one node; MOVED followed,
// and ASK: a stream whose slot is being migrated and that already left its
// master is read on the importing node, ASKING before each XRANGE page;
// MOVED/ASK for the GETs of msg: keys). Every source is read whole before the
// first event is delivered; the merge orders and de-duplicates across masters
// as it does on one node.
#include <fmt/format.h>

#include "base/error.h"
#include "base/log.h"
#include "base/signals.h"
#include "bus/cluster_slots.h"
#include "bus/history_replay.h"
#include "redis/cluster_topology.h"
#include "redis/crc16.h"

namespace rbus {
namespace {

constexpr std::size_t kClusterGetPage = 1000;  // GETs pipelined per round

}  // namespace

void HistoryReplay::read_cluster() {
    ClusterSlots slots(ctx_.connect, "rbus-replay");
    slots.start();
    std::vector<HostPort> masters = slots.masters();
    masters_ = masters.size();
    // A stream read on its slot's master; a slot that moved meanwhile (MOVED) read
    // again where it went; a stream that is being migrated and has already left
    // (ASK, on the first page: a stream moves whole) read on the importing node.
    auto read_on_owner = [&](const std::string& key, std::string_view pattern) {
        for (int attempt = 0;; ++attempt) {
            try {
                collect_stream(slots.owner_of(hash_slot(key)), key, pattern, false);
                break;
            } catch (const ReplyError& e) {
                std::optional<Redirect> to = parse_redirect(e.what());
                if (attempt < 3 && to && to->kind == Redirect::Kind::ask) {
                    logger().info("{} is being migrated: reading it on {}", key,
                                  log_lazy([&] { return node_name(to->target); }));
                    collect_stream(slots.node(to->target), key, pattern, true);
                    break;
                }
                if (attempt >= 3 || !slots.moved(e.what())) throw;
            }
        }
        sources_order_.push_back(add_run(merge_.take_run(false)));  // a stream: its own order
    };
    std::vector<std::vector<std::vector<std::string_view>>> msg_keys;  // by master, then subscription
    for (const HostPort& m : masters) msg_keys.push_back(scan_msg_keys(slots.node(m)));
    for (std::size_t i = 0; i < subs_.size(); ++i) {
        const Subscription& sub = subs_[i];
        std::size_t before = merge_.collected_size(), streams_before = sources_.streams.size();
        std::size_t msg_before = sources_.msg_keys;
        if (!sub.pattern) {
            names_.push_back(keys_.stream(sub.name));
            read_on_owner(names_.back(), {});
        } else {
            // Keys of every type: one that is not a stream is exit 2, as for one type.
            for (const HostPort& m : masters)
                for (std::string_view key : scan(slots.node(m), keys_.stream_pattern(sub.name), nullptr)) {
                    names_.emplace_back(key);
                    read_on_owner(names_.back(), sub.name);
                }
        }
        std::string_view pattern = sub.pattern ? std::string_view(sub.name) : std::string_view();
        for (std::size_t m = 0; m < masters.size(); ++m) {
            std::vector<std::string_view>& keys = msg_keys[m][i];
            sources_.msg_keys += keys.size();
            drop_replayed(keys);
            for (std::size_t at = 0; at < keys.size(); at += kClusterGetPage) {
                std::size_t end = std::min(keys.size(), at + kClusterGetPage);
                std::vector<SlotCommand> gets;
                for (std::size_t j = at; j < end; ++j) gets.push_back(slot_command(keys[j], {"GET", keys[j]}));
                std::vector<SlotResult> values = slots.run(gets);
                std::vector<const redisReply*> replies;
                for (std::size_t j = 0; j < values.size(); ++j) {
                    if (!values[j].ok())
                        throw ReplyError(fmt::format("cannot read {}: {}", keys[at + j], values[j].error));
                    replies.push_back(values[j].reply.get());
                }
                add_msg_values(keys, at, replies.data(), replies.size(), pattern);
                throw_if_interrupted();
            }
        }
        sources_order_.push_back(add_run(merge_.take_run(true)));  // msg: keys: by timestamp
        warn_if_none(sub, sources_.streams.size() > streams_before || sources_.msg_keys > msg_before);
        logger().debug("replay {}: {} event(s) from {} master(s)", sub.name, merge_.collected_size() - before, masters.size());
    }
}

}  // namespace rbus
