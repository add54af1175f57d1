// What rbus-publish does once its flags are parsed: one event, --count repeats,
// --wait-for request/reply, or a batch (--stdin, --envelopes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/context.h"
#include "event/envelope.h"
#include "bus/history_options.h"

namespace rbus {

struct PublishRequest {
    std::string type;
    std::vector<std::string> payload_args;  // JSON | @FILE | - | ITEM...
    std::string priority = "normal";
    std::string id;
    bool dry_run = false;
    bool record_metrics = false;  // or RAPTORBUS_METRICS=1
    long long min_receivers = 0;
    std::size_t max_bytes = 1 << 20;
    // Repeats.
    std::optional<std::uint64_t> count;
    std::string interval;  // a duration; empty: none
    // Request/reply.
    std::vector<std::string> wait_for;  // types, each may hold commas
    std::string timeout;                // default 30s
    // Batches.
    bool stdin_batch = false;
    std::optional<std::string> envelopes;  // "" or "-": stdin
    std::string dead_letter;
    int retries = 3;
    // History (SPEC §8): --history (or the context's RAPTORBUS_HISTORY / config),
    // --retain, --max-len; run_publish resolves them into `history`.
    bool history_flag = false;
    RetentionFlags retention;
    std::optional<HistorySettings> history;
};

// Checks the combination of flags; throws UsageError. Then runs and returns the exit code.
int run_publish(const Context& ctx, const PublishRequest& req);

// The parts, for run_publish (and tests).
int run_single(const Context& ctx, const PublishRequest& req, bool record_metrics);
int run_wait_for(const Context& ctx, const PublishRequest& req, bool record_metrics);
int run_batch(const Context& ctx, const PublishRequest& req, bool record_metrics);

// The fields shared by every event of a request: type, priority, id and context ids.
EnvelopeFields base_fields(const Context& ctx, const PublishRequest& req);

}  // namespace rbus
