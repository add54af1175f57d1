// The keys that history, consumer groups and the DLQ live at (SPEC §8): rbus's
// own (`rbus:history:{CHANNEL}`, `rbus:seen:{CHANNEL}:{id}`, `rbus:dlq`, under a
// namespace that --history-key-prefix overrides) and RaptorBus's
// (`msg:{channel}:{id}` with its TTL rule, `dlq:sys.dlq.{reason}:{uuid}`).
// The channel in braces is the hash tag: a channel's stream and marks share a slot.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/error.h"

namespace rbus {

class HistoryKeys {
public:
    HistoryKeys() : ns_("rbus") {}
    explicit HistoryKeys(std::string ns) : ns_(std::move(ns)) {}

    const std::string& ns() const { return ns_; }
    // rbus:history:{raptorflow.events.agent.task_started}
    std::string stream(std::string_view channel) const;
    // rbus:seen:{raptorflow.events.agent.task_started}:6f1c...
    std::string seen(std::string_view channel, std::string_view id) const;
    // rbus:dlq
    std::string dlq() const;
    // rbus:redriven:{raptorflow.events.agent.task_started}:1764547200000-0: set
    // (on a Cluster) with the XADD that returns DLQ entry `dlq_ref` to the
    // stream `stream_key`, in the stream's slot, so that a redrive stopped
    // before the entry left the DLQ does not add it twice when run again.
    std::string redriven(std::string_view stream_key, std::string_view dlq_ref) const;
    // rbus:back:{raptorflow.events.agent.task_started}:6f1c...: the stream
    // entry the last redrive added for event `event_id` (one node: an event
    // that several groups dead-lettered goes back once, whatever the runs).
    std::string back(std::string_view stream_key, std::string_view event_id) const;
    // The SCAN pattern of the history streams of a channel pattern (glob): the
    // pattern goes inside the braces as it is.
    std::string stream_pattern(std::string_view channel_glob) const;
    // The channel of a history stream key, or "" when the key is not one.
    std::string_view channel_of_stream(std::string_view key) const;

private:
    std::string ns_;
};

// The error for a history key that holds another type than a stream (exit 2,
// the key named: SPEC §8), and its message.
std::string not_a_stream_message(std::string_view key);
UsageError not_a_stream_error(std::string_view key);

// RaptorBus's persisted copy of an event: msg:{channel}:{id} (no braces: its own format).
std::string raptorbus_msg_key(std::string_view channel, std::string_view id);
// The SCAN pattern of a channel's (or a channel glob's) persisted events.
std::string raptorbus_msg_pattern(std::string_view channel_glob);
// A literal channel made safe inside a SCAN MATCH pattern (* ? [ ] \ escaped).
std::string glob_escape(std::string_view literal);
// What every key a glob matches begins with (its escapes undone).
std::string glob_literal_prefix(std::string_view glob);

// How long publish_event() keeps msg:{channel}:{id}: sys.global.heartbeat 60 s;
// a channel containing "guild": muse 1 day, matrix 7 days, others 1 h; one
// containing "alert" 1 day; anything else 1 h.
std::chrono::seconds raptorbus_msg_ttl(std::string_view channel);

// RaptorBus's DLQ: the record dlq:sys.dlq.{reason}:{uuid}, kept 30 days, and
// the channel sys.dlq.{reason} it is announced on.
std::string raptorbus_dlq_channel(std::string_view reason);
std::string raptorbus_dlq_key(std::string_view reason, std::string_view uuid);
inline constexpr std::chrono::seconds kRaptorbusDlqTtl{30 * 24 * 3600};

}  // namespace rbus
