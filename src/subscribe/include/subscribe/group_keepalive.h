// A --group consumer keeps the event its handler is running: every quarter of
// --claim-idle (at least every second) it resets the entry's idle time, so that
// another consumer's XAUTOCLAIM never takes a live consumer's work; only a
// consumer that died (or hangs outside its handler) leaves an entry to claim.
#pragma once

#include <chrono>
#include <string_view>

#include "redis/connection.h"

namespace rbus {

// How often a running event is kept: claim_idle / 4, at most 1 s, at least 10 ms.
std::chrono::milliseconds keepalive_interval(std::chrono::milliseconds claim_idle);

// The Lua script: XCLAIM ... JUSTID (idle reset, delivery count unchanged) only
// while the entry is still pending on `consumer`, so that a consumer never
// takes back an entry that was claimed from it. Returns 1 kept, 0 not its own.
std::string_view keepalive_script();

// Runs the script for one entry; false when the entry is no longer the
// consumer's (claimed by another, acknowledged, or deleted). Throws Error.
bool keep_entry(Connection& conn, std::string_view stream, std::string_view group, std::string_view consumer,
                std::string_view id, std::chrono::milliseconds timeout);

}  // namespace rbus
