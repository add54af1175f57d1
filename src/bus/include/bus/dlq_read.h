// Reading both dead-letter queues (SPEC §8): rbus's stream {ns}:dlq and
// RaptorBus's records dlq:sys.dlq.{reason}:{uuid} (found by SCAN with a
// bounded COUNT), for rbus-subscribe --dlq and rbus-publish --redrive.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "redis/connection.h"
#include "event/envelope.h"
#include "bus/cluster_slots.h"
#include "bus/history_keys.h"
#include "bus/history_merge.h"

namespace rbus {

struct DlqEntry {
    enum class Source { rbus, raptorbus } source = Source::rbus;
    std::string ref;  // rbus: the DLQ entry ID; RaptorBus: the record's key
    std::string envelope;  // the event as stored ("" when the record has none)
    std::string reason, original_channel, failed_at, group, consumer, stream, error_details;
    std::string raptorbus_key;  // rbus's entries: the RaptorBus record announced with it
    std::optional<long long> deliveries;
    std::optional<int> exit_status;
};

// Parses one RaptorBus record (its JSON) at `key`; nothing when it is not a
// JSON object.
std::optional<DlqEntry> parse_raptorbus_record(std::string_view key, std::string_view json);

// The `dlq` object readers print with the entry's envelope.
Json dlq_json(const DlqEntry& e);
// The line --dlq prints: the envelope normalised (SPEC §1) plus "dlq", or
// {"dlq": {...}} alone when there is no (readable) event.
std::string dlq_line(const DlqEntry& e);

struct DlqSelection {
    ReplayRange range;                // by failure time
    std::vector<std::string> reasons;  // --reason; empty: all
    std::vector<std::string> type_globs;  // TYPE arguments; empty: all
};
bool dlq_selected(const DlqEntry& e, const DlqSelection& sel);

// Reads both queues, oldest failure first. Throws UsageError when {ns}:dlq is
// not a stream.
std::vector<DlqEntry> read_dlq(Connection& conn, const HistoryKeys& keys, const DlqSelection& sel,
                               std::chrono::milliseconds timeout);
// The same on a Redis Cluster: {ns}:dlq on the master of its slot, the
// records found by SCAN on every master and read on each one's master.
std::vector<DlqEntry> read_dlq(ClusterSlots& cluster, const HistoryKeys& keys, const DlqSelection& sel);

}  // namespace rbus
