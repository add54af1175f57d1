#include "app/history_context.h"

#include <nlohmann/json.hpp>

#include "base/duration.h"
#include "base/error.h"
#include "bus/history_keys.h"

namespace rbus {
namespace {

using OJson = nlohmann::ordered_json;

OJson text_or_null(const std::string& s) { return s.empty() ? OJson(nullptr) : OJson(s); }

// A duration flag as given, once it parses (the run would refuse it: so does this).
OJson duration_or_null(const std::string& s, const char* flag) {
    if (s.empty()) return nullptr;
    try {
        parse_duration(s);
    } catch (const UsageError& e) {
        throw UsageError(std::string(flag) + ": " + e.what());
    }
    return s;
}

}  // namespace

nlohmann::ordered_json history_context_json(const Context& ctx, const HistoryContext& h) {
    HistoryKeys keys(ctx.history_prefix);
    OJson j = OJson::object();
    j["stream_key"] = keys.stream("CHANNEL");
    j["dlq_key"] = keys.dlq();
    if (h.record) {
        j["record"] = *h.record || ctx.history;
        j["record_source"] = *h.record ? std::string("--history") : ctx.source_of("history");
    }
    if (h.mirror) j["mirror"] = *h.mirror;
    if (h.retention) {
        j["retain"] = duration_or_null(h.retain, "--retain");
        j["max_len"] = h.max_len > 0 ? OJson(h.max_len) : OJson(nullptr);
    }
    if (h.replay) {
        j["since"] = text_or_null(h.since);
        j["until"] = text_or_null(h.until);
    }
    if (h.groups) {
        j["group"] = text_or_null(h.group);
        j["consumer"] = text_or_null(h.consumer);  // null: {hostname}-{pid}
        j["max_deliveries"] = h.max_deliveries;
        j["claim_idle"] = h.claim_idle.empty() ? OJson("60s") : duration_or_null(h.claim_idle, "--claim-idle");
    }
    if (h.dlq) j["dlq"] = *h.dlq;
    if (h.redrive) {
        j["redrive"] = *h.redrive;
        j["reasons"] = h.reasons;
    }
    return j;
}

}  // namespace rbus
