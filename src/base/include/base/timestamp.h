// Envelope timestamps: RFC 3339 UTC with microseconds and Z.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace rbus {

using SystemTime = std::chrono::system_clock::time_point;

// 2026-11-26T16:10:30.237319Z: UTC, always six fraction digits (truncated, not rounded).
std::string format_timestamp(SystemTime t);
std::string now_timestamp();

// format_timestamp for many events (batches): the part up to the second is formatted
// once per second, the six microsecond digits for each event. Same text, same clock.
class TimestampFormatter {
public:
    static constexpr std::size_t kLength = 27;  // 2026-11-26T16:10:30.237319Z
    // Writes kLength characters (no NUL).
    void format(SystemTime t, char* out);
    void now(char* out) { format(std::chrono::system_clock::now(), out); }

private:
    long long second_ = 0;
    bool valid_ = false;
    char prefix_[20] = {};  // "2026-11-26T16:10:30."
};

// RFC 3339 / ISO 8601 date-time: `YYYY-MM-DD`, `T`, `t` or a space, `hh:mm:ss`, an optional
// fraction of 1-9 digits (kept to the microsecond, truncated), then `Z`/`z`, `+hh:mm`,
// `-hh:mm`, `+hhmm`, or nothing (naive: read as UTC, as RaptorFlow's BusEvent writes it).
// Impossible dates (2026-02-30) and anything trailing are rejected. No locale is involved.
std::optional<SystemTime> parse_timestamp(std::string_view text);

// parse_timestamp then format_timestamp: any accepted form rewritten as UTC micro Z.
std::optional<std::string> normalize_timestamp(std::string_view text);

}  // namespace rbus
