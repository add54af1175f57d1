#include "tail/tail_record.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/error.h"
#include "base/named_file.h"

namespace rbus {

RecordFile::RecordFile(std::string path) : path_(std::move(path)) {
    fd_ = open_for_appending(path_, "record file");  // a FIFO or >(gzip > f) works, within the deadline
}

RecordFile::~RecordFile() {
    try {
        flush();
    } catch (const Error&) {
        // Already reported by the flush after the last burst, or the run is ending on another error.
    }
    ::close(fd_);
}

void RecordFile::append(std::string_view envelope) {
    buf_ += envelope;
    buf_ += '\n';
}

void RecordFile::flush() {
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
        throw Error(fmt::format("cannot write record file {}: {}", path_, std::strerror(err)));
    }
    buf_.clear();
}

}  // namespace rbus
