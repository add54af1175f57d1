// The dead-letter queue (SPEC §8): rbus's stream `{ns}:dlq`, and RaptorBus's
// own announcement of a dead letter, so that RaptorFlow's tooling sees it: a
// record at dlq:sys.dlq.{reason}:{uuid} (30 days) and a message on
// sys.dlq.{reason}, both the JSON object {"original_channel", "reason",
// "error_details", "timestamp", "event"}.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "bus/cluster_slots.h"
#include "bus/history_keys.h"
#include "base/timestamp.h"

namespace rbus {

// Why an event gave up, as RaptorBus names its DLQ channels.
inline constexpr std::string_view kReasonMaxRetries = "max_retries_exceeded";
inline constexpr std::string_view kReasonSchema = "schema_violation";
// RaptorBus's reasons (SPEC section 8), for a word when a --reason given matches none.
inline constexpr std::string_view kKnownReasons[] = {kReasonMaxRetries, kReasonSchema, "routing_error",
                                                     "processing_timeout", "publish_error"};

struct DeadLetter {
    std::string_view envelope;  // the event as recorded
    std::string_view reason;
    std::string_view channel;   // where it was published
    std::string_view stream, entry_id;  // the history entry it came from
    std::string_view group, consumer;
    long long deliveries = 0;
    std::optional<int> exit_status;  // when a handler ran
    std::string error_details;
};

// RaptorBus's DLQ record for a dead letter: the JSON object, compact.
std::string raptorbus_dlq_record(const DeadLetter& d, SystemTime now);

// The command that moves a dead letter, as RESP: one script (EVAL) that runs
// XADD {ns}:dlq (naming the RaptorBus record in field raptorbus_key, so that
// readers show the dead letter once and a redrive removes both), SET the
// RaptorBus record EX 30 days, PUBLISH it on sys.dlq.{reason}, XACK the
// history entry. One node, in that order, stopping at a step that fails (a
// MULTI/EXEC would go on past a WRONGTYPE, acknowledging an event the DLQ
// never got). `uuid` names the record.
void append_dlq_move(std::string& out, const HistoryKeys& keys, const DeadLetter& d, std::string_view uuid,
                     SystemTime now);
// How many replies append_dlq_move's command gets.
inline constexpr int kDlqMoveReplies = 1;

// The same move on a Redis Cluster, where its keys sit on different masters:
// one command at a time on each key's master (MOVED/ASK followed), the history
// entry acknowledged last, so that a failed step leaves it pending (delivered
// again) rather than lost. Throws ReplyError naming the step that failed.
void dlq_move_on_cluster(SlotRunner& cluster, const HistoryKeys& keys, const DeadLetter& d, std::string_view uuid,
                         SystemTime now);

}  // namespace rbus
