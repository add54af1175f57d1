// Small text helpers shared by the parsers and the error messages.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace rbus {

inline constexpr std::size_t npos = std::string_view::npos;

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
inline bool is_control(char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
}
// Non-empty and only 0-9.
inline bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_digit(c)) return false;
    return true;
}

// The pieces of s between each `sep`, empty ones kept: "a,,b" gives a, "", b;
// "" gives one empty piece. Views into s.
std::vector<std::string_view> split(std::string_view s, char sep);

// Control characters as \xNN, everything else as it is.
std::string escape_controls(std::string_view s);

// ASCII letters lowered; other bytes kept.
std::string ascii_lower(std::string_view s);

// At most `max` bytes as printable ASCII (other bytes become '?'), "..." when cut:
// a piece of untrusted input quoted in a message.
std::string printable_line(std::string_view s, std::size_t max = 200);

// A message made one line: CR and LF become spaces, other C0 controls \xNN (an
// ESC echoed from a hostile argument), C1 controls, bidi overrides and bytes
// that are not UTF-8 as terminal_safe writes them, trailing spaces dropped.
std::string single_line(std::string_view in);

// Offset of the first byte that breaks UTF-8, or npos.
std::size_t utf8_error_at(std::string_view s);

// A value for a one-line message: JSON-quoted with everything outside
// printable ASCII escaped, "..." when longer than `max`.
std::string json_quoted(std::string_view s, std::size_t max = 64);

}  // namespace rbus
