// Small text helpers shared by the parsers and the error messages.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rbus {

inline constexpr std::size_t npos = std::string_view::npos;

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// ASCII letters lowered; other bytes kept.
std::string ascii_lower(std::string_view s);

// At most `max` bytes as printable ASCII (other bytes become '?'), "..." when cut:
// a piece of untrusted input quoted in a message.
std::string printable_line(std::string_view s, std::size_t max = 200);

// A message made one line: CR and LF become spaces, other control characters
// \xNN (an ESC echoed from a hostile argument), trailing spaces dropped.
std::string single_line(std::string_view in);

}  // namespace rbus
