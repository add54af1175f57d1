#include "app/output.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "base/error.h"
#include "json/json_paint.h"
#include "base/safe_text.h"
#include "base/signals.h"

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

StdoutWriter::~StdoutWriter() {
    try {
        flush();
    } catch (...) {
        // Destructors must not throw; a closed stdout at exit is not an error.
    }
}

namespace {

// After SIGINT/SIGTERM, stdout gets a short grace period and is then given up:
// a reader that stopped reading must not keep the tool from exiting. Writes go
// in pieces ending at a newline that fit in a pipe (PIPE_BUF: never blocks once
// POLLOUT), so what is dropped is whole lines.
constexpr int kSignalGraceMs = 1000;

std::size_t piece_end(const std::string& buf, std::size_t off) {
    std::size_t end = std::min(buf.size(), off + PIPE_BUF);
    if (end == buf.size()) return end;
    std::size_t nl = buf.rfind('\n', end - 1);
    return nl != std::string::npos && nl >= off ? nl + 1 : end;
}

}  // namespace

void StdoutWriter::flush() {
    std::size_t off = 0;
    while (off < buf_.size()) {
        std::size_t len = buf_.size() - off;
        if (pending_signal()) {
            pollfd p{fd_, POLLOUT, 0};
            if (::poll(&p, 1, kSignalGraceMs) <= 0 || !(p.revents & POLLOUT)) break;
            len = piece_end(buf_, off) - off;
        }
        ssize_t n = ::write(fd_, buf_.data() + off, len);
        if (n > 0) {
            off += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        buf_.clear();
        if (n < 0 && errno == EPIPE) {
            if (keep_going_) {
                closed_ = true;
                return;
            }
            throw StdoutClosed{};
        }
        throw Error(fmt::format("cannot write to stdout: {}", std::strerror(errno)));
    }
    buf_.clear();
}

bool StdoutWriter::is_tty() const { return ::isatty(fd_) == 1; }

std::string colorize_json(const Json& value) {
    std::string out;
    // Coloured JSON is read by a person: no bidi override or C1 control as such.
    append_colored_json(out, json_terminal_safe(value.dump(-1, ' ', false, Json::error_handler_t::replace)));
    return out;
}

}  // namespace rbus
