// When output is coloured: one policy for data on stdout and diagnostics on stderr.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/env.h"

namespace rbus {

enum class ColorMode { automatic, always, never };
std::optional<ColorMode> parse_color_mode(std::string_view);

// Data on stdout: --color always/never beats the environment; then NO_COLOR;
// otherwise colour only on a terminal that is not TERM=dumb. CLICOLOR_FORCE
// does not colour data on a pipe (`CLICOLOR_FORCE=1 rbus-subscribe … | jq`
// must read JSON): only --color always does.
bool color_enabled(std::optional<ColorMode> flag, bool is_tty, const EnvLookup& env);

// Diagnostics on stderr: the same, except that CLICOLOR_FORCE (not 0) colours
// them off a terminal too (CI logs that render ANSI).
bool diagnostics_color_enabled(std::optional<ColorMode> flag, bool is_tty, const EnvLookup& env);

// How coloured text is written, everywhere (tables, JSON, tail lines, log
// levels, error lines): "\x1b[" params "m", the text, "\x1b[0m". Attributes
// combine in one sequence ("1;31"). Written by hand rather than through rang:
// rang writes one sequence per attribute ("\x1b[1m\x1b[31m") and only into an
// ostream, which a coloured JSON token or tail line cannot afford.
namespace sgr {
inline constexpr std::string_view bold = "1", dim = "2", red = "31", green = "32", yellow = "33", blue = "34",
                                  magenta = "35", cyan = "36", bold_red = "1;31";
}

// Appends `text` in the SGR attributes `params`; the text alone when params is empty.
inline void append_sgr(std::string& out, std::string_view params, std::string_view text) {
    if (params.empty()) {
        out += text;
        return;
    }
    out += "\x1b[";
    out += params;
    out += 'm';
    out += text;
    out += "\x1b[0m";
}

inline std::string sgr_text(std::string_view params, std::string_view text) {
    std::string out;
    out.reserve(text.size() + params.size() + 7);
    append_sgr(out, params, text);
    return out;
}

}  // namespace rbus
