#include "output.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include <fmt/format.h>
#include <rang.hpp>

#include "error.h"

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
    if (auto force = env("CLICOLOR_FORCE"); force && *force != "0") return true;
    if (!is_tty) return false;
    auto term = env("TERM");
    return !(term && *term == "dumb");
}

StdoutWriter::~StdoutWriter() {
    try {
        flush();
    } catch (...) {
        // Destructors must not throw; a closed stdout at exit is not an error.
    }
}

void StdoutWriter::flush() {
    std::size_t off = 0;
    while (off < buf_.size()) {
        ssize_t n = ::write(fd_, buf_.data() + off, buf_.size() - off);
        if (n > 0) {
            off += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        buf_.clear();
        if (n < 0 && errno == EPIPE) throw StdoutClosed{};
        throw Error(fmt::format("cannot write to stdout: {}", std::strerror(errno)));
    }
    buf_.clear();
}

bool StdoutWriter::is_tty() const { return ::isatty(fd_) == 1; }

namespace {

void colorize(std::ostream& os, const Json& v) {
    switch (v.type()) {
        case Json::value_t::object: {
            os << '{';
            bool first = true;
            for (auto it = v.begin(); it != v.end(); ++it) {
                if (!first) os << ',';
                first = false;
                os << rang::fg::blue << Json(it.key()).dump() << rang::style::reset << ':';
                colorize(os, it.value());
            }
            os << '}';
            break;
        }
        case Json::value_t::array: {
            os << '[';
            bool first = true;
            for (const auto& e : v) {
                if (!first) os << ',';
                first = false;
                colorize(os, e);
            }
            os << ']';
            break;
        }
        case Json::value_t::string:
            os << rang::fg::green << v.dump(-1, ' ', false, Json::error_handler_t::replace)
               << rang::style::reset;
            break;
        case Json::value_t::null:
        case Json::value_t::boolean:
            os << rang::fg::magenta << v.dump() << rang::style::reset;
            break;
        default:
            os << rang::fg::cyan << v.dump() << rang::style::reset;
            break;
    }
}

}  // namespace

std::string colorize_json(const Json& value) {
    std::ostringstream os;
    // The caller decided that colour is on; rang must not second-guess it.
    rang::setControlMode(rang::control::Force);
    colorize(os, value);
    return os.str();
}

}  // namespace rbus
