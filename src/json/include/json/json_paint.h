// Compact JSON text (as a normalised envelope holds it) for people: coloured
// on one line, or indented over several. Works on the text itself, so printing
// a received event needs no tree.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace rbus {

// Appends canonical compact JSON text with ANSI colours: keys blue, strings
// green, true/false/null magenta, numbers cyan.
void append_colored_json(std::string& out, std::string_view canonical);

// Appends canonical compact JSON text indented by two spaces, "key": value,
// empty objects and arrays kept as {} and []; coloured as above when asked.
void append_pretty_json(std::string& out, std::string_view canonical, bool color);

// Compact JSON with ANSI colours (keys, strings, numbers, literals) as above;
// C1 controls and bidi characters in strings as \uXXXX (json_terminal_safe).
std::string colorize_json(const nlohmann::ordered_json& value);

}  // namespace rbus
