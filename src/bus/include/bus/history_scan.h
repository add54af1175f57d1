// Finding RaptorBus's msg: keys (and stream patterns) for a replay: SCAN with
// a bounded COUNT, never KEYS. SCAN walks the whole keyspace whatever it
// matches (every seen mark and msg: key of every channel).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "bus/subscriber.h"
#include "redis/connection.h"

namespace rbus {

// SCAN MATCH `match` TYPE `type` to its end: the keys found, views into the
// replies appended to `kept` (which must outlive them). Throws Interrupted on
// SIGINT/SIGTERM, TimeoutError past the reply timeout.
std::vector<std::string_view> scan_keys(Connection& conn, const std::string& match, const char* type,
                                        std::chrono::milliseconds reply_timeout, std::vector<Reply>& kept);

// Each subscription's msg: keys on the node of `conn`: one SCAN for all
// (their common beginning), each key then matched here.
std::vector<std::vector<std::string_view>> scan_msg_keys(Connection& conn, const std::vector<Subscription>& subs,
                                                         std::chrono::milliseconds reply_timeout,
                                                         std::vector<Reply>& kept);

}  // namespace rbus
