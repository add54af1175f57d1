// Where data goes: stdout only, buffered, flushed per burst, colour by one policy.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "base/color.h"  // the colour policy, for the files that write data

namespace rbus {

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
        if (buf_.size() >= kFlushAt && !holding_) flush();
    }
    void line(std::string_view s) {
        if (closed_) return;
        buf_.append(s);
        buf_.push_back('\n');
        if (buf_.size() >= kFlushAt && !holding_) flush();
    }
    // Throws StdoutClosed on EPIPE, Error on other write failures. Does
    // nothing while output is held.
    void flush();
    bool is_tty() const;

    // Holding output back (a replay printing ahead of a SCAN that may still
    // find events to go first): what is written from hold() on stays in
    // memory, room made for `expect` bytes, until release() writes it or
    // discard() drops it.
    void hold(std::size_t expect);
    void release();
    void discard();
    std::size_t held() const { return holding_ ? buf_.size() : 0; }
    // Output was dropped: after SIGINT/SIGTERM, the reader did not take it
    // within the grace (what was written before it went out whole).
    bool gave_up() const { return gave_up_; }

private:
    static constexpr std::size_t kFlushAt = 64 * 1024;
    int fd_;
    std::string buf_;
    bool keep_going_ = false;
    bool closed_ = false;
    bool holding_ = false;
    bool gave_up_ = false;
    std::optional<std::chrono::steady_clock::time_point> give_up_;  // the grace's end, once a signal came
};

}  // namespace rbus
