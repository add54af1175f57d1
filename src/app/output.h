// Where data goes: stdout only, buffered, flushed per burst, colour by one policy.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/env.h"
#include "event/envelope.h"

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

// Thrown when stdout's reader went away (`| head -1`): the tool ends quietly with 0.
struct StdoutClosed {};

class StdoutWriter {
public:
    explicit StdoutWriter(int fd = 1) : fd_(fd) { buf_.reserve(kFlushAt * 2); }
    ~StdoutWriter();
    StdoutWriter(const StdoutWriter&) = delete;
    StdoutWriter& operator=(const StdoutWriter&) = delete;

    // A publisher's stdout only echoes what was published: once its reader is gone,
    // output is dropped and the work goes on (no StdoutClosed).
    void keep_going_when_closed() { keep_going_ = true; }

    void write(std::string_view s) {
        if (closed_) return;
        buf_.append(s);
        if (buf_.size() >= kFlushAt) flush();
    }
    void line(std::string_view s) {
        if (closed_) return;
        buf_.append(s);
        buf_.push_back('\n');
        if (buf_.size() >= kFlushAt) flush();
    }
    // Throws StdoutClosed on EPIPE, Error on other write failures.
    void flush();
    bool is_tty() const;

private:
    static constexpr std::size_t kFlushAt = 64 * 1024;
    int fd_;
    std::string buf_;
    bool keep_going_ = false;
    bool closed_ = false;
};

// Compact JSON with ANSI colours (keys, strings, numbers, literals) via rang;
// C1 controls and bidi characters in strings as \uXXXX (json_terminal_safe).
std::string colorize_json(const Json& value);

}  // namespace rbus
