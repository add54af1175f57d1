// Text for stderr in one write(2): a line from one process is not interleaved
// with another's, and nothing waits in a stdio buffer.
#pragma once

#include <unistd.h>

#include <string_view>

namespace rbus {

inline void write_stderr(std::string_view text) {
    ssize_t rc = ::write(STDERR_FILENO, text.data(), text.size());
    (void)rc;  // nowhere left to report a failed write to stderr
}

}  // namespace rbus
