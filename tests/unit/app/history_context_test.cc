#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "app/context.h"
#include "base/error.h"
#include "app/history_context.h"

using namespace rbus;

namespace {
Context history_ctx(std::map<std::string, std::string> env = {}, CommonOptions o = {}) {
    return resolve_context(o, env_from_map(std::move(env)));
}
}  // namespace

TEST_CASE("--print-context: the history key prefix and where it came from, for every tool") {
    CommonOptions o;
    o.history_key_prefix = "acme";
    auto j = nlohmann::ordered_json::parse(describe_context(history_ctx({}, o)));
    CHECK(j["history_key_prefix"] == "acme");
    CHECK(j["history_key_prefix_source"] == "--history-key-prefix");
    CHECK(nlohmann::ordered_json::parse(describe_context(history_ctx()))["history_key_prefix"] == "rbus");
}

TEST_CASE("--print-context of rbus-publish: recording, where it was switched on, retention, redrive") {
    HistoryContext h;
    h.record = false;
    h.retention = true;
    h.retain = "24h";
    h.redrive = false;
    auto j = history_context_json(history_ctx({{"RAPTORBUS_HISTORY", "1"}}), h);
    CHECK(j.dump() ==
          R"({"stream_key":"rbus:history:{CHANNEL}","dlq_key":"rbus:dlq","record":true,"record_source":"RAPTORBUS_HISTORY",)"
          R"("retain":"24h","max_len":null,"redrive":false,"reasons":[]})");
    h.record = true;
    CHECK(history_context_json(history_ctx(), h)["record_source"] == "--history");
}

TEST_CASE("--print-context of rbus-subscribe: mirror, replay and group settings, defaults shown") {
    HistoryContext h;
    h.mirror = false;
    h.retention = true;
    h.replay = true;
    h.since = "1h";
    h.groups = true;
    h.group = "billing";
    h.dlq = false;
    CommonOptions o;
    o.history_key_prefix = "acme";
    auto j = history_context_json(history_ctx({}, o), h);
    CHECK(j.dump() ==
          R"({"stream_key":"acme:history:{CHANNEL}","dlq_key":"acme:dlq","mirror":false,"retain":null,"max_len":null,)"
          R"("since":"1h","until":null,"group":"billing","consumer":null,"max_deliveries":3,"claim_idle":"60s","dlq":false})");
    h.claim_idle = "soon";
    CHECK_THROWS_AS(history_context_json(history_ctx(), h), UsageError);  // as the run would refuse it
}

TEST_CASE("--print-context of rbus-tail: replay and --dlq only") {
    HistoryContext h;
    h.replay = true;
    h.dlq = true;
    CHECK(history_context_json(history_ctx(), h).dump() ==
          R"({"stream_key":"rbus:history:{CHANNEL}","dlq_key":"rbus:dlq","since":null,"until":null,"dlq":true})");
}
