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
#include <set>
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
    std::size_t batch = 0;        // entries per XREADGROUP; 0: kBatchHandlers with --exec, else kBatchPrinting
    std::string start_id = "$";   // where a new group starts (--since's ID)
};

// Entries per XREADGROUP: with --exec (one handler at a time, read no
// further ahead), and when printing (read ahead, larger batches).
constexpr std::size_t kBatchHandlers = 100;
constexpr std::size_t kBatchPrinting = 500;

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
        std::string_view key;  // one of streams_
        StreamEntry entry;
        long long deliveries = 1;
    };
    void open();
    // XGROUP CREATE on each key (an existing group continues); the keys that
    // are streams. A key of another type is UsageError, unless `found_later`
    // (a rescan): then it is left out with a warning (once per key).
    std::vector<std::string> create_groups(const std::vector<std::string>& keys, std::string_view start,
                                           bool found_later = false);
    // Patterns: streams that appeared since the last scan join (group_rescan.h).
    void rescan();
    std::vector<std::string> stream_keys();
    // The first of `keys` that holds a key of another type than a stream
    // (TYPE, on its node); empty when none does.
    std::string not_a_stream(const std::vector<std::string>& keys);
    // Own pending entries, then others' idle ones, each with its delivery count.
    std::vector<Pending> claim(std::size_t limit, bool own);
    long long deliveries_of(std::string_view key, std::string_view id);
    // Handles one entry; false when a signal stopped it (left pending). `key`
    // and the entry must live until its XACK is sent (acked_replies_, held_).
    bool handle(std::string_view key, const StreamEntry& entry, long long deliveries, ConsumeStats& st);
    // XACK what was written and flushed. with_next_command: queued to go out
    // with the next command (one round trip less per batch); else now.
    void ack_pending_acks(bool with_next_command = false);
    // Every acknowledgement sent and answered (a read sent ahead answered first).
    void settle_acks();
    // One node: the connection opened again with backoff after it was lost;
    // an exit code when a signal or --timeout came first. On a Cluster or
    // with --no-reconnect: IoError "connection to the bus lost" (exit 3).
    std::optional<int> reconnect(const std::string& why, Deadline deadline);
    // The reply to a read sent ahead taken and dropped: its entries stay
    // pending for this consumer, delivered again on a restart or claimed.
    void drop_read_ahead();
    // Says at -v how many entries read ahead stay pending (none: nothing said).
    void log_left_pending(std::size_t n);
    // Before another command on the connection: the reply to the read sent
    // ahead taken and kept for read_node (parked_).
    void park_read_ahead();
    Reply read_ahead_reply();
    void dead_letter(std::string_view key, const StreamEntry& e, std::string_view reason, long long deliveries,
                     std::optional<int> exit_status, std::string details);
    void leave();
    // After a signal cut a blocking read (its connection dropped, the read
    // still owed): leave() on a new connection, so that the consumer does not
    // stay in the group at every restart. One node only; errors are dropped.
    void leave_after_signal();
    // While a handler runs: keeps its entry from being claimed (group_keepalive.h).
    void keep_running();
    bool done(const ConsumeStats& st) const;
    // Entries to ask for: a batch, with --count no more than still needed
    // once `in_hand` more have matched.
    std::size_t want(const ConsumeStats& st, std::size_t in_hand = 0) const;
    // Runs a command on the node that holds its stream (args[1], XGROUP's args[2]).
    Reply command(const std::vector<std::string_view>& args);
    // The connection to the node that holds `key`: the one node, or on a
    // Cluster the master of its slot.
    Connection& on(std::string_view key);
    // The streams to read, by the connection that holds them (one on one
    // node), and on a Cluster by slot.
    std::vector<std::pair<Connection*, std::vector<std::string>>> streams_by_node();
    // One XREADGROUP on one node and its entries handled: -1 to go on, else
    // the exit code (a signal). `block`: how long the server may wait; none: not at all.
    // may_read_ahead: after a full batch, the next one is asked for (without
    // blocking) before this one is handled; its reply is the next call's.
    int read_node(Connection& conn, const std::vector<std::string>& keys, std::optional<std::chrono::milliseconds> block,
                  bool may_read_ahead, ConsumeStats& st);
    void append_read(Connection& conn, const std::vector<std::string>& keys, std::size_t count,
                     std::optional<std::chrono::milliseconds> block);

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
    std::vector<KeyedEntry> batch_;  // the entries of the last XREADGROUP
    // (stream, id) written, awaiting the flush: views into held_, streams_ or
    // acked_replies_, which are kept until the XACK is queued.
    std::vector<std::pair<std::string_view, std::string_view>> to_ack_;
    std::vector<Reply> acked_replies_;
    Reply batch_reply_;  // the reply batch_ views into
    // XACKs sent with the next read, until the server answered them (a lost
    // connection sends them again after the reconnect): their entries and
    // replies, and how many XACKs are still unanswered.
    std::vector<std::pair<std::string_view, std::string_view>> unanswered_acks_;
    std::vector<Reply> unanswered_replies_;
    std::size_t unanswered_ = 0;
    GroupStats stats_;
    std::optional<std::pair<std::string_view, std::string_view>> running_;  // (stream, id) whose handler runs
    bool running_lost_ = false;  // claimed by another consumer meanwhile (said once)
    bool said_busy_ = false;     // --since on a group that exists: said once
    // Keys a rescan found of another type (said once each), and the rescans so far.
    static constexpr unsigned kRetryNotStreamsEvery = 15;
    std::set<std::string> not_streams_;
    unsigned rescans_ = 0;
    Deadline run_deadline_;      // --timeout's end (run())
    bool run_over() const { return run_deadline_ && Clock::now() >= *run_deadline_; }
    bool acks_unsent_ = false;   // XACKs queued, not yet flushed
    bool read_ahead_ = false;    // printing, no --exec: a full batch asks for the next before it is handled
    bool ahead_ = false;         // an XREADGROUP sent ahead on conn_, its reply not yet read
    std::size_t ahead_count_ = 0;  // the COUNT it asked for
    Reply parked_;               // its reply, taken early by another command
};

}  // namespace rbus
