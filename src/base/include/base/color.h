// When output is coloured: one policy for data on stdout and diagnostics on stderr.
#pragma once

#include <optional>
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

}  // namespace rbus
