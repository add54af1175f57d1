// rbus-subscribe's consumer-group flags (SPEC §8): --group, --consumer,
// --max-deliveries, --claim-idle, each checked as given (an empty value, 0, a
// bad duration: exit 2, in --print-context too).
#pragma once

#include <string>

#include "subscribe/consumer_group.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace rbus {

struct GroupFlags {
    CLI::Option* consumer = nullptr;
    CLI::Option* max_deliveries = nullptr;
    CLI::Option* claim_idle = nullptr;
    // Any of the three given (they need --group).
    bool any_given() const;
};

// Adds the four flags under `group_name`; --claim-idle's text goes to
// `claim_idle` (parsed into `o.claim_idle` by apply_claim_idle).
GroupFlags add_group_options(CLI::App& app, GroupOptions& o, std::string& claim_idle, const char* group_name);
void apply_claim_idle(const std::string& claim_idle, GroupOptions& o);

}  // namespace rbus
