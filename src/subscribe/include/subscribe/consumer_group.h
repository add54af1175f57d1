// rbus-subscribe --group: a background consumer over the history streams
// (SPEC §8). Several consumers of one group share the work; an event is
// acknowledged only once its output was written and flushed, or its --exec
// handler exited 0. A failed event is delivered again (XCLAIM, which counts
// the delivery) up to --max-deliveries, then moved to the DLQ; an invalid one
// goes to the DLQ at once (schema_violation). Events left pending by a consumer
// that died are claimed after --claim-idle, while a live consumer keeps the
// event its handler runs (group_keepalive.h); a consumer's own pending events
// (a restart under the same --consumer) come first. A consumer that leaves
// with nothing pending is removed from the group. On a Redis Cluster each
// stream lives on the master of its slot: the consumer keeps a connection per
// such master and reads them in turn (without waiting on any but the last, and
// on that one briefly), acknowledging and claiming each entry on its master.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "redis/connection.h"
#include "bus/consumer.h"
#include "app/context.h"
#include "base/duration.h"
#include "subscribe/event_sink.h"
#include "bus/cluster_slots.h"
#include "bus/history_keys.h"
#include "subscribe/group_rescan.h"
#include "bus/history_stream.h"
#include "bus/subscriber.h"

namespace rbus {

struct GroupOptions {
    std::string group;
    std::string consumer;  // default {hostname}-{pid}
    int max_deliveries = 3;
    Duration claim_idle{60000};
    std::size_t batch = 100;      // entries per XREADGROUP
    std::string start_id = "$";   // where a new group starts (--since's ID)
};

struct GroupStats {
    std::uint64_t acked = 0, retried = 0, dlq_sent = 0;
};

// "{hostname}-{pid}".
std::string default_consumer_name();

class GroupConsumer {
public:
    GroupConsumer(const Context& ctx, std::vector<Subscription> subs, GroupOptions options, EventSink& sink,
                  const ConsumeOptions& consume);
    // Runs until --count, --timeout, --idle or a signal; returns the exit code
    // (0, 124, 130/143). Throws UsageError (cluster, wrong key type),
    // ConnectError (unreachable, connection lost).
    int run(ConsumeStats& stats);
    const GroupStats& stats() const { return stats_; }

private:
    struct Pending {
        std::string key;
        StreamEntry entry;
        long long deliveries = 1;
    };
    void open();
    void create_groups(const std::vector<std::string>& keys, std::string_view start);
    // Patterns: streams that appeared since the last scan join (group_rescan.h).
    void rescan();
    std::vector<std::string> stream_keys();
    // Own pending entries, then others' idle ones, each with its delivery count.
    std::vector<Pending> claim(std::size_t limit, bool own);
    long long deliveries_of(const std::string& key, std::string_view id);
    // Handles one entry; false when a signal stopped it (left pending).
    bool handle(const std::string& key, const StreamEntry& entry, long long deliveries, ConsumeStats& st);
    // XACK what was written and flushed. with_next_command: queued to go out
    // with the next command (one round trip less per batch); else now.
    void ack_pending_acks(bool with_next_command = false);
    // Every acknowledgement sent and answered.
    void settle_acks();
    void dead_letter(const std::string& key, const StreamEntry& e, std::string_view reason, long long deliveries,
                     std::optional<int> exit_status, std::string details);
    void leave();
    // While a handler runs: keeps its entry from being claimed (group_keepalive.h).
    void keep_running();
    bool done(const ConsumeStats& st) const;
    std::size_t want(const ConsumeStats& st) const;
    // Runs a command on the node that holds its stream (args[1], XGROUP's args[2]).
    Reply command(const std::vector<std::string_view>& args);
    // The connection to the node that holds `key`: the one node, or on a
    // Cluster the master of its slot.
    Connection& on(std::string_view key);
    // The streams to read, by the connection that holds them (one on one node).
    std::vector<std::pair<Connection*, std::vector<std::string>>> streams_by_node();
    // One XREADGROUP on one node and its entries handled: -1 to go on, else
    // the exit code (a signal). `block`: how long the server may wait; none: not at all.
    int read_node(Connection& conn, const std::vector<std::string>& keys, std::optional<std::chrono::milliseconds> block,
                  ConsumeStats& st);

    const Context& ctx_;
    std::vector<Subscription> subs_;
    GroupOptions o_;
    EventSink& sink_;
    EnvelopeReader reader_;
    const ConsumeOptions& consume_;
    HistoryKeys keys_;
    std::unique_ptr<Connection> conn_;
    // On a Redis Cluster: a connection per master that holds a stream of the
    // group (each stream read and acknowledged on the master of its slot).
    std::unique_ptr<ClusterSlots> cluster_;
    std::vector<std::string> streams_;  // sorted
    GroupRescan rescan_;
    std::vector<Reply> held_;  // replies whose entries are being handled
    std::vector<std::pair<std::string, std::string>> to_ack_;  // (stream, id) written, awaiting the flush
    GroupStats stats_;
    std::optional<std::pair<std::string, std::string>> running_;  // (stream, id) whose handler runs
    bool running_lost_ = false;  // claimed by another consumer meanwhile (said once)
    bool acks_unsent_ = false;   // XACKs queued, not yet flushed
};

}  // namespace rbus
