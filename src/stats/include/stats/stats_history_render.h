// How rbus-stats shows a HistorySnapshot: the "history" object of --json,
// the table's HISTORY, GROUPS, DLQ, PERSISTED and AGENTS sections, the
// Prometheus families, and the phrase the --check OK line gains. Names from
// the bus (channels, groups, consumers, agents, reasons) are escaped by the
// table (terminal_safe), by lossless_json and by the label escaping.
#pragma once

#include <string>

#include "event/envelope.h"
#include "stats/stats_history.h"

namespace rbus {

// Ages as people read them: 850ms, 12s, 3m05s, 2h03m, 3d04h.
std::string format_age(long long ms);

Json history_json(const HistorySnapshot& h);
std::string render_history_table(const HistorySnapshot& h, bool color);
// rbus_history_*, rbus_dlq_*, rbus_raptorbus_*, rbus_agent* families (# HELP, # TYPE, samples).
std::string render_history_prometheus(const HistorySnapshot& h);
// ", 3 history stream(s), 2 group(s) with 0 pending, DLQ 0 + 0 RaptorBus record(s), 2 agent(s) alive".
std::string history_check_summary(const HistorySnapshot& h);

}  // namespace rbus
