// --print-context: the history settings a tool resolves (SPEC §8), as one
// object "history" after the common settings (history_key_prefix is among
// those). Only what applies to the tool; none of it is secret.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "app/context.h"

namespace rbus {

struct HistoryContext {
    std::optional<bool> record;    // rbus-publish: --history given (else the context's setting)
    bool retention = false;        // --retain / --max-len apply (rbus-publish, rbus-subscribe --mirror)
    std::string retain;
    std::uint64_t max_len = 0;
    std::optional<bool> mirror;    // rbus-subscribe
    bool replay = false;           // --since / --until apply
    std::string since, until;
    bool groups = false;           // rbus-subscribe: --group and its settings apply
    std::string group, consumer, claim_idle;
    int max_deliveries = 3;
    std::optional<bool> dlq, redrive;
    std::vector<std::string> reasons;  // rbus-publish --redrive --reason
};

// The "history" object: the keys in use (stream, DLQ), then each setting that
// applies (null when not set, durations as given after checking them). Throws
// UsageError for a duration that does not parse, as the run would.
nlohmann::ordered_json history_context_json(const Context& ctx, const HistoryContext& h);

}  // namespace rbus
