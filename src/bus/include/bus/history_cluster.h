// Recording into the history on a Redis Cluster (SPEC §8). On one node a Lua
// script records and PUBLISHes at once; on a Cluster the keys of one event sit
// on different masters (the channel's stream and seen mark in the slot of its
// hash tag, RaptorBus's msg:{channel}:{id} in its own), so the writes go in
// phases, each pipelined per master: the record script (de-duplicating by id)
// on the stream's master, then the msg: copy on its master, then the PUBLISH
// (SPUBLISH with --sharded). An event whose history write fails (WRONGTYPE,
// OOM, an unreachable master) goes no further: it is not published.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
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

// ClusterHistoryWriter::write, and the events a master could not take
// (unreachable, its connection dropped) written again after a capped backoff
// (BatchOptions' backoff_initial doubling up to backoff_max), the topology read
// again first (`reread`: a master back, or its replica in its place), up to
// BatchOptions::retries attempts per outage, as on one node; the record script
// de-duplicates by id, so an event recorded before its reply was lost is one
// stream entry. Then they fail (lost still set, the error is down()), as do
// the lost events of later writes: the bus stayed unreachable. Each retry is
// logged (warn); the giving up is left to the caller.
// Both rbus-publish paths on a Cluster write through it.
class ClusterResender {
public:
    ClusterResender(ClusterHistoryWriter& writer, std::function<void()> reread, const BatchOptions& options,
                    Sleeper sleep = pause_unless_signal)
        : writer_(writer),
          reread_(std::move(reread)),
          retries_(options.retries),
          backoff_initial_(options.backoff_initial),
          backoff_max_(options.backoff_max),
          sleep_(std::move(sleep)) {}

    // Results in the order given.
    std::vector<ClusterWriteResult> write(const std::vector<ClusterWrite>& events);
    // Why the lost events failed, once the retries ran out; empty before.
    const std::string& down() const { return down_; }

private:
    ClusterHistoryWriter& writer_;
    std::function<void()> reread_;
    int retries_;
    std::chrono::milliseconds backoff_initial_, backoff_max_;
    Sleeper sleep_;
    std::string down_;  // set once the retries ran out: later lost events fail at once
};

// rbus-publish --history, one event at a time, on a Cluster: the BusPublisher
// (bus_publisher.h) that connect_publisher chooses for --history on a Cluster.
// An event a master could not take is written again as in a batch
// (ClusterResender, `retries` attempts).
class ClusterHistoryPublisher final : public BusPublisher {
public:
    ClusterHistoryPublisher(const Context& ctx, const HistorySettings& settings, bool record_metrics, int retries,
                            Sleeper sleep = pause_unless_signal);
    void start();
    // Records and publishes; returns the receivers. A refused history write
    // throws as on one node (throw_history_refused): the event was not
    // published; a master still unreachable after the retries throws
    // ConnectError (exit 3, as a lost connection on one node).
    long long publish(const Envelope& env) override;
    // PUBLISH on a cluster counts the receiving node's subscribers; SPUBLISH
    // (--sharded) the channel's.
    bool counts_one_node() override { return !ctx_.sharded; }

private:
    const Context& ctx_;
    ClusterSlots slots_;
    ClusterHistoryWriter writer_;
    ClusterResender resender_;
};

// rbus-publish --history --stdin / --envelopes on a Cluster: events gathered
// into chunks, each chunk written by a ClusterResender (a master's lost events
// written again, --retries attempts), handlers called in input order. The
// BusBatchPublisher (batch_publisher.h) that make_batch_publisher chooses for
// --history on a Cluster.
class ClusterHistoryBatch final : public BusBatchPublisher {
public:
    ClusterHistoryBatch(const Context& ctx, const HistorySettings& settings, const BatchOptions& options,
                        BatchHandlers handlers, Sleeper sleep = pause_unless_signal);
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
    ClusterSlots slots_;
    ClusterHistoryWriter writer_;
    ClusterResender resender_;
    BatchHandlers handlers_;
    std::vector<Pending> pending_;
};

// Whether the bus is a Redis Cluster: by the flags (cluster_by_flags), else
// by asking the server the URL names (one connection, closed after).
bool bus_is_cluster(const Context& ctx, std::string_view client_name);

}  // namespace rbus
