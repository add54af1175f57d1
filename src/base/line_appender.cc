#include "base/line_appender.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/error.h"
#include "base/named_file.h"

namespace rbus {

LineAppender::LineAppender(std::string path, std::string what, std::size_t flush_at)
    : path_(std::move(path)), what_(std::move(what)), flush_at_(flush_at) {
    fd_ = open_for_appending(path_, what_);
}

LineAppender::~LineAppender() {
    try {
        flush();
    } catch (const Error&) {
        // Reported by an earlier flush, or the run is ending on another error.
    }
    ::close(fd_);
}

void LineAppender::append(std::string_view line) {
    buf_ += line;
    buf_ += '\n';
    if (buf_.size() >= flush_at_) flush();
}

void LineAppender::flush() {
    std::size_t off = 0;
    while (off < buf_.size()) {
        ssize_t n = ::write(fd_, buf_.data() + off, buf_.size() - off);
        if (n > 0) {
            off += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        int err = n < 0 ? errno : EIO;
        buf_.clear();
        throw Error(fmt::format("cannot write {} {}: {}", what_, path_, std::strerror(err)));
    }
    buf_.clear();
}

}  // namespace rbus
