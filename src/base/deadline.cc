#include "base/deadline.h"

#include <poll.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/error.h"

namespace rbus {

int poll_timeout_ms(Deadline deadline) {
    if (!deadline) return -1;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
    if (left.count() <= 0) return 0;
    return left.count() > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(left.count());
}

bool wait_fd(int fd, short events, Deadline deadline) {
    for (;;) {
        pollfd p{fd, events, 0};
        int rc = ::poll(&p, 1, poll_timeout_ms(deadline));
        if (rc > 0) return true;
        if (rc == 0) {
            if (!deadline || Clock::now() >= *deadline) return false;
            continue;
        }
        // A signal (SIGINT/SIGTERM set a flag): return at once so that the
        // caller's loop sees the flag instead of waiting out its deadline.
        if (errno == EINTR) return false;
        throw IoError(fmt::format("poll failed: {}", std::strerror(errno)));
    }
}

}  // namespace rbus
