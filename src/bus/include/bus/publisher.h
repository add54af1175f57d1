// Publishing envelopes on {prefix}.{type}, with the seed's log line.
#pragma once

#include "redis/connection.h"
#include "event/run_context.h"
#include "event/envelope.h"
#include "bus/history_record.h"

namespace rbus {

struct PublishOptions {
    // INCR metrics:channel:{channel}:published in the same pipeline (RaptorBus's own counter).
    bool record_metrics = false;
    // --history: record the event (stream, seen mark, msg:{channel}:{id}) and
    // PUBLISH it in one script; a failed recording means not published.
    const HistorySettings* history = nullptr;
    // With history on a Redis Cluster: attempts to write an event again when a
    // master could not take it (ClusterResender, history_cluster.h).
    int retries = 3;
};

class Publisher {
public:
    Publisher(Connection& conn, const Context& ctx, PublishOptions options)
        : conn_(conn), ctx_(ctx), options_(options) {}

    // Publishes one envelope and returns how many subscribers received it.
    long long publish(const Envelope& env);

private:
    void log_published(const Envelope& env, const std::string& channel, long long receivers) const;

    Connection& conn_;
    const Context& ctx_;
    PublishOptions options_;
};

// "metrics:channel:{channel}:published"
std::string metrics_key(std::string_view channel);

}  // namespace rbus
