// Recording into the history on a Redis Cluster (SPEC §8). On one node a Lua
// script records and PUBLISHes at once; on a Cluster the keys of one event sit
// on different masters (the channel's stream and seen mark in the slot of its
// hash tag, RaptorBus's msg:{channel}:{id} in its own), so the writes go in
// phases, each pipelined per master: the record script (de-duplicating by id)
// on the stream's master, then the msg: copy on its master, then the PUBLISH
// (SPUBLISH with --sharded). An event whose history write fails (WRONGTYPE,
// OOM, an unreachable master) goes no further: it is not published.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/signals.h"
#include "base/timestamp.h"
#include "bus/batch_publisher.h"
#include "bus/bus_publisher.h"
#include "bus/cluster_slots.h"
#include "bus/history_record.h"
#include "event/envelope.h"
#include "event/run_context.h"

namespace rbus {

struct ClusterWrite {
    std::string_view channel, id, body;
};

struct ClusterWriteResult {
    bool done = false;        // recorded (and, when asked, published)
    bool fresh = false;       // a new stream entry; false: the id was recorded before
    long long receivers = 0;  // the PUBLISH's reply
    // Why not done: the refusal as history_refusal() words it, or the PUBLISH's.
    std::string error;
    bool wrong_type = false;  // a history key of the wrong type (exit 2)
    bool lost = false;        // a master unreachable or its connection broken: worth writing again
};

struct ClusterWriteOptions {
    bool publish = false;         // rbus-publish --history: also the msg: copy and the PUBLISH
    bool sharded = false;         // SPUBLISH on the channel's master instead of PUBLISH
    bool record_metrics = false;  // INCR metrics:channel:{channel}:published once published
};

class ClusterHistoryWriter {
public:
    ClusterHistoryWriter(SlotRunner& runner, const HistorySettings& settings, ClusterWriteOptions options)
        : runner_(runner), settings_(settings), options_(options) {}

    // Writes every event, phase by phase; results in the order given.
    std::vector<ClusterWriteResult> write(const std::vector<ClusterWrite>& events, SystemTime now);

private:
    SlotRunner& runner_;
    const HistorySettings& settings_;
    ClusterWriteOptions options_;
};

// The script that writes RaptorBus's copy msg:{channel}:{id} (SET EX), refusing
// a key of another type as the record script does.
std::string_view msg_copy_script();

// rbus-publish --history, one event at a time, on a Cluster: the BusPublisher
// (bus_publisher.h) that connect_publisher chooses for --history on a Cluster.
class ClusterHistoryPublisher final : public BusPublisher {
public:
    ClusterHistoryPublisher(const Context& ctx, const HistorySettings& settings, bool record_metrics);
    void start();
    // Records and publishes; returns the receivers. A refused history write
    // throws as on one node (throw_history_refused): the event was not published.
    long long publish(const Envelope& env) override;
    // PUBLISH on a cluster counts the receiving node's subscribers; SPUBLISH
    // (--sharded) the channel's.
    bool counts_one_node() override { return !ctx_.sharded; }

private:
    const Context& ctx_;
    ClusterSlots slots_;
    ClusterHistoryWriter writer_;
};

// rbus-publish --history --stdin / --envelopes on a Cluster: events gathered
// into chunks, each chunk written by ClusterHistoryWriter, handlers called in
// input order. Events a master could not take (unreachable, connection lost)
// are written again after a backoff, the topology read again from the seeds
// (a failover followed), up to BatchOptions::retries attempts per outage as
// on one node (the record script de-duplicates by id, so an event recorded
// before its reply was lost is one entry); then they fail, as do later ones
// that meet an unreachable master. The BusBatchPublisher (batch_publisher.h)
// that make_batch_publisher chooses for --history on a Cluster.
class ClusterHistoryBatch final : public BusBatchPublisher {
public:
    ClusterHistoryBatch(const Context& ctx, const HistorySettings& settings, const BatchOptions& options,
                        BatchHandlers handlers,
                        Sleeper sleep = pause_unless_signal);
    void start() override;
    void add(const BatchEvent& ev) override;
    // Writes what is gathered and reports it: a chunk is written phase by
    // phase, each waiting for its replies, so flush() waits as finish() does.
    void flush() override { finish(); }
    void finish() override;

private:
    struct Pending {
        std::uint64_t line;
        std::string channel, id, body;
    };
    // Writes pending_, the lost ones again while attempts remain; results in its order.
    std::vector<ClusterWriteResult> write_with_retries();
    ClusterSlots slots_;
    ClusterHistoryWriter writer_;
    BatchOptions options_;
    BatchHandlers handlers_;
    Sleeper sleep_;
    std::vector<Pending> pending_;
    std::string down_;  // set once the retries ran out: later lost events fail at once
};

// Whether the bus is a Redis Cluster: by the flags (cluster_by_flags), else
// by asking the server the URL names (one connection, closed after).
bool bus_is_cluster(const Context& ctx, std::string_view client_name);

}  // namespace rbus
