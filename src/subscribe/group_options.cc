#include "subscribe/group_options.h"

#include <charconv>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "base/duration.h"
#include "base/error.h"
#include "bus/history_options.h"

namespace rbus {

bool GroupFlags::any_given() const {
    return consumer->count() > 0 || max_deliveries->count() > 0 || claim_idle->count() > 0;
}

GroupFlags add_group_options(CLI::App& app, GroupOptions& o, std::string& claim_idle, const char* group_name) {
    GroupFlags f;
    app.add_option("--group", o.group, "read the history streams through consumer group NAME; ack after success")
        ->type_name("NAME")
        ->check(not_empty("name"))
        ->group(group_name);
    // An unset $CONSUMER is an error, not the default name: the run would take another consumer's place.
    f.consumer = app.add_option("--consumer", o.consumer, "this consumer's name in the group (default {hostname}-{pid})")
                     ->type_name("ID")
                     ->check(not_empty("name"))
                     ->group(group_name);
    f.max_deliveries =
        app.add_option("--max-deliveries", o.max_deliveries, "deliveries of a failing event before the DLQ (default 3)")
            ->type_name("N")
            ->check(CLI::Validator(
                [](std::string& v) {
                    int n = 0;
                    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
                    return ec == std::errc() && end == v.data() + v.size() && n >= 1
                               ? std::string()
                               : fmt::format("must be a whole number from 1, not \"{}\"", v);
                },
                "", "at least 1"))
            ->group(group_name);
    f.claim_idle =
        app.add_option("--claim-idle", claim_idle,
                       "claim events another consumer left pending this long (default 60s; a running handler keeps its own)")
            ->type_name("DUR")
            ->check(CLI::Validator(
                [](std::string& v) {
                    if (v.empty()) return std::string("needs a duration, not \"\"");
                    try {
                        return parse_duration(v).count() > 0 ? std::string() : std::string("must be longer than 0");
                    } catch (const UsageError& e) {
                        return std::string(e.what());
                    }
                },
                "", "duration"))
            ->group(group_name);
    return f;
}

void apply_claim_idle(const std::string& claim_idle, GroupOptions& o) {
    if (!claim_idle.empty()) o.claim_idle = parse_duration(claim_idle);  // checked as given
}

}  // namespace rbus
