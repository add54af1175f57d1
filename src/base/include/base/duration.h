// Durations as users write them: 250ms, 5s, 1.5s, 2m, 1h, 1h30m.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace rbus {

using Duration = std::chrono::milliseconds;

// A number with a unit (ms, s, m, h), decimals allowed ("1.5s"), several
// parts allowed ("1h30m"); "0" alone needs no unit. Rounds to the nearest
// millisecond; at most 8760h (one year). Throws UsageError with a one-line
// message, e.g. `invalid duration "5": use a unit, e.g. 250ms, 5s, 2m, 1h`.
Duration parse_duration(std::string_view text);

// "2.31s" from one second up (two decimals, rounded), "250ms" below.
std::string format_duration(Duration d);
// A setting as a user writes it: "5s", "2m", "1h30m" (whole seconds), else
// as format_duration.
std::string format_duration_as_given(Duration d);

}  // namespace rbus
