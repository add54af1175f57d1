// Numbers given to flags that bound a run: --max-bytes and --count. Parsed
// once at the edge, with one clear usage error (exit 2) for zero, negative,
// non-numeric and out-of-range values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace rbus {

// What readers (subscribe, tail, stats) accept by default: above any event
// RaptorFlow sends in practice, below Redis's 32 MB pub/sub output-buffer limit.
inline constexpr std::size_t kReaderMaxBytes = 16 * 1024 * 1024;

// --max-bytes N: at least 1, at most 2^40 (a terabyte).
std::size_t parse_max_bytes(std::string_view text);

// --count N: 0 .. 2^63 - 1 (the flag names itself in the error).
std::uint64_t parse_count(std::string_view flag, std::string_view text);

}  // namespace rbus
