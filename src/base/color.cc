#include "base/color.h"

namespace rbus {

std::optional<ColorMode> parse_color_mode(std::string_view s) {
    if (s == "auto") return ColorMode::automatic;
    if (s == "always") return ColorMode::always;
    if (s == "never") return ColorMode::never;
    return std::nullopt;
}

bool color_enabled(std::optional<ColorMode> flag, bool is_tty, const EnvLookup& env) {
    if (flag == ColorMode::always) return true;
    if (flag == ColorMode::never) return false;
    if (env("NO_COLOR")) return false;
    if (!is_tty) return false;
    auto term = env("TERM");
    return !(term && *term == "dumb");
}

bool diagnostics_color_enabled(std::optional<ColorMode> flag, bool is_tty, const EnvLookup& env) {
    if (flag == ColorMode::always || flag == ColorMode::never) return flag == ColorMode::always;
    if (env("NO_COLOR")) return false;
    if (auto force = env("CLICOLOR_FORCE"); force && *force != "0") return true;
    return color_enabled(flag, is_tty, env);
}

}  // namespace rbus
