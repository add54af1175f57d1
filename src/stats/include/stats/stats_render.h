// How a StatsReport is shown: a table for people, one JSON object for scripts,
// the Prometheus text exposition format for scrapers, and the --check lines.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "event/envelope.h"
#include "stats/prometheus_exposition.h"  // prometheus_label_value
#include "stats/stats.h"

namespace rbus {

// One object: url, prefix, workspace_id, server, channels, pattern_subscriptions,
// published_counters, traffic (null when no window was sampled).
Json report_json(const StatsReport& report);

// Aligned sections (server, channels, traffic) with ANSI colour when `color`.
std::string render_table(const StatsReport& report, bool color);
// The traffic section alone (empty without a window): a bare rbus-stats prints
// the server and channels at once (render_table without traffic), this later.
std::string render_traffic_table(const StatsReport& report, bool color);

// Text exposition format 0.0.4: # HELP and # TYPE before each family, rbus_* names.
std::string render_prometheus(const StatsReport& report);

// The one status line of --check, names from the server escaped (terminal_safe).
std::string check_ok_line(const StatsReport& report);
std::string check_fail_line(const StatsReport& report, const std::vector<std::string>& failures);
std::string check_unreachable_line(std::string_view url, std::string_view reason);

// "0.21ms" below a second, "10.01s" from there; "1.2 KiB" for bytes.
std::string format_ms(double ms);
std::string format_bytes(double bytes);

}  // namespace rbus
