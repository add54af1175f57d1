// Recording events into the history (SPEC §8): one Lua script per event that
// de-duplicates by event id (SET NX of the seen mark, TTL = the retention),
// appends to the channel's stream and trims it, and on demand also writes
// RaptorBus's msg:{channel}:{id} copy and PUBLISHes. A script runs atomically,
// like MULTI/EXEC, and unlike MULTI/EXEC a failed history write (a key of the
// wrong type, OOM at the first write) stops it before the PUBLISH: an event
// that was not recorded is not published either.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/duration.h"
#include "bus/history_keys.h"
#include "base/timestamp.h"

namespace rbus {

struct HistorySettings {
    HistoryKeys keys;
    Duration retain{0};         // --retain: trim entries older than this; 0: no age limit
    std::uint64_t max_len = 0;  // --max-len: approximate length bound; 0: none
    // The seen marks live as long as the retention, or a week without one.
    Duration seen_ttl() const;
};

// The script's text and its SHA-1 (for EVALSHA after SCRIPT LOAD).
std::string_view record_script();
const std::string& record_script_sha();

struct RecordRequest {
    std::string_view channel, id, body;
    // Non-empty: PUBLISH body on this channel after recording; the reply is
    // the receivers. Empty: record only; the reply is 1 (new) or 0 (a duplicate).
    std::string_view publish_channel;
    bool raptorbus_copy = false;  // also SET msg:{channel}:{id} EX its TTL rule
};

// Appends the EVALSHA (use_sha) or EVAL command that records one event, as RESP,
// to `out`. `now` places the --retain cutoff.
void append_record(std::string& out, const HistorySettings& settings, const RecordRequest& req, bool use_sha,
                   SystemTime now);

// The id an event is recorded and de-duplicated under: its envelope id (the
// UUID v5 of the bytes for an id-less message, as every reader derives it).
std::string envelope_id(std::string_view body);

// A refused recording as the error to report: a history key of the wrong type
// is a UsageError (exit 2) naming it; anything else (OOM, a missing script)
// a ReplyError. Either way the event was not published.
std::string history_refusal(std::string_view peer, std::string_view reply);
bool is_wrong_type(std::string_view reply);
[[noreturn]] void throw_history_refused(std::string_view peer, std::string_view reply);

}  // namespace rbus
