// Text as a terminal shows it: how many columns UTF-8 takes, how to cut it
// to a width without splitting a character, and how to keep control bytes
// from event fields out of the terminal.
#pragma once

#include <string>
#include <string_view>

#include "base/safe_text.h"  // terminal_safe

namespace rbus {

// Columns a code point takes: 0 (combining marks, zero-width), 2 (East Asian
// wide and fullwidth, most emoji) or 1. Control characters count 1 here; they
// never reach the terminal (see terminal_safe).
int codepoint_width(char32_t cp);

// Columns the UTF-8 text takes. A byte that is not valid UTF-8 counts as one.
int display_width(std::string_view utf8);

// The longest prefix of utf8 that takes at most `columns`, ending on a
// character boundary (a wide character that would straddle the edge is left out,
// so are combining marks that follow a character that was left out).
std::string_view fit_columns(std::string_view utf8, int columns);

// utf8 cut to `columns`: unchanged when it fits, else the prefix that fits in
// columns - 1 followed by "…" (one column). Empty when columns <= 0.
std::string cut_to_columns(std::string_view utf8, int columns);

}  // namespace rbus
