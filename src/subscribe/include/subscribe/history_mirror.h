// rbus-subscribe --mirror: the long-running recorder for services that only
// PUBLISH. Every received event that passes the filters is recorded into its
// channel's history stream by the record script (de-duplicated by event id),
// pipelined one burst at a time over a connection of its own. A recording
// connection that is lost costs the burst in flight: the mirror says how many
// events it did not record, reconnects and goes on. On a Redis Cluster each
// event is recorded on the master of its stream's slot (one connection per
// master, the burst pipelined per master).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "redis/connection.h"
#include "bus/consumer.h"
#include "app/context.h"
#include "event/filter.h"
#include "bus/history_cluster.h"
#include "bus/history_record.h"

namespace rbus {

class HistoryMirror {
public:
    HistoryMirror(const Context& ctx, HistorySettings settings);

    // Connects (to every master on a Cluster) and loads the script. Throws ConnectError.
    void start();
    // Queues one event's recording.
    void add(std::string_view channel, std::string_view id, std::string_view body);
    // Sends the queue and reads every reply. A history key of the wrong type
    // throws UsageError (exit 2) naming it; a lost connection is opened again
    // and the queue written once more (the script de-duplicates); lost again,
    // its events are reported not recorded and the next flush reconnects.
    void flush();

    std::uint64_t recorded() const { return recorded_; }
    std::uint64_t duplicates() const { return duplicates_; }
    std::uint64_t lost() const { return lost_; }

private:
    void connect();
    // One node: `batch` (`total` scripts) written and its replies counted,
    // skipping the first `counted` (counted before a lost connection).
    void write_batch(const std::string& batch, std::size_t total, std::size_t& counted);
    // On a Cluster: the queued events recorded on their streams' masters.
    void flush_cluster();

    const Context& ctx_;
    HistorySettings settings_;
    std::unique_ptr<Connection> conn_;
    std::string out_;
    std::size_t queued_ = 0;
    // On a Cluster (seeds, --sharded, or a cluster node as the URL): the
    // record script pipelined per master, the events queued as copies.
    struct Queued {
        std::string channel, id, body;
    };
    std::unique_ptr<ClusterSlots> cluster_;
    std::unique_ptr<ClusterHistoryWriter> writer_;
    std::vector<Queued> queue_;
    std::uint64_t recorded_ = 0, duplicates_ = 0, lost_ = 0;
};

// The consume handlers of a mirror: valid events that pass `filter` are
// recorded (invalid ones skipped with a warning), flushed after each burst.
ConsumeHandlers mirror_handlers(HistoryMirror& mirror, const EventFilter& filter);

// rbus-subscribe --mirror: records until --count, --timeout, --idle or a
// signal, then logs what it recorded and lost; returns the exit code.
int run_mirror(const Context& ctx, const std::vector<Subscription>& subs, HistorySettings settings,
               EventFilter filter, const ConsumeOptions& options);

}  // namespace rbus
