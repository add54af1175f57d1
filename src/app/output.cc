#include "app/output.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <cerrno>
#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "base/error.h"
#include "json/json_paint.h"
#include "base/safe_text.h"
#include "base/signals.h"

namespace rbus {

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

void StdoutWriter::hold(std::size_t expect) {
    flush();
    holding_ = true;
    buf_.reserve(expect);  // untouched until written: no copy as it grows
}

void StdoutWriter::release() {
    holding_ = false;
    flush();
    discard();  // empty now: what was reserved for holding goes
}

void StdoutWriter::discard() {
    holding_ = false;
    std::string().swap(buf_);
    buf_.reserve(kFlushAt * 2);
}

void StdoutWriter::flush() {
    if (holding_) return;
    std::size_t off = 0;
    while (off < buf_.size()) {
        std::size_t len = buf_.size() - off;
        if (pending_signal()) {
            // One grace for all that is written after the signal, however much
            // (a replay's held output can be 64 MiB) and in however many flushes
            // (a consumer group's, one per event): a slow reader does not keep the tool.
            auto now = std::chrono::steady_clock::now();
            if (!give_up_) give_up_ = now + std::chrono::milliseconds(kSignalGraceMs);
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*give_up_ - now).count();
            pollfd p{fd_, POLLOUT, 0};
            if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0 || !(p.revents & POLLOUT)) {
                gave_up_ = true;
                break;
            }
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

}  // namespace rbus
