// The one appender of JSON lines to a file named on the command line
// (rbus-tail --record, rbus-publish --dead-letter). The file is opened by
// open_for_appending (named_file.h): created 0644 when missing, O_APPEND, and a
// FIFO, >(gzip > f), /dev/stderr or a symlink work, the wait for a FIFO's
// reader bounded by the run's deadline and ended by SIGINT/SIGTERM. Lines are
// buffered and written whole: by flush(), or as soon as the buffer holds
// `flush_at` bytes.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

namespace rbus {

class LineAppender {
public:
    static constexpr std::size_t kOnlyWhenFlushed = std::numeric_limits<std::size_t>::max();

    // `what` names the file in errors: "record file" gives "cannot open record
    // file PATH: reason" (Error), FileWaitTimeout or Interrupted.
    LineAppender(std::string path, std::string what, std::size_t flush_at = kOnlyWhenFlushed);
    // Writes what is still buffered; an error then is not reported (the flush
    // after the last burst reported it, or the run is ending on another error).
    ~LineAppender();
    LineAppender(const LineAppender&) = delete;
    LineAppender& operator=(const LineAppender&) = delete;

    // Buffers `line` and a newline.
    void append(std::string_view line);
    // Writes what is buffered. Throws Error "cannot write WHAT PATH: reason";
    // the lines that could not be written are dropped.
    void flush();

private:
    std::string path_, what_;
    std::size_t flush_at_;
    int fd_ = -1;
    std::string buf_;
};

}  // namespace rbus
