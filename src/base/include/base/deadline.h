// Deadlines on the steady clock, and waiting on one file descriptor until one.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>

namespace rbus {

using Clock = std::chrono::steady_clock;
// No value means "wait as long as it takes".
using Deadline = std::optional<Clock::time_point>;

inline Deadline deadline_after(std::chrono::milliseconds d) {
    if (d.count() <= 0) return std::nullopt;
    return Clock::now() + d;
}

// The one that comes first (no value: the other).
inline Deadline earlier(Deadline a, Deadline b) {
    if (!a) return b;
    if (!b) return a;
    return std::min(*a, *b);
}

// The poll(2) timeout that ends at the deadline: -1 (wait) without one, 0 once passed.
int poll_timeout_ms(Deadline deadline);

// Waits until fd is readable (events=POLLIN) or writable (POLLOUT).
// Returns false when the deadline passed or a signal interrupted the wait
// (callers re-check their signal flag). Throws IoError on poll failure.
bool wait_fd(int fd, short events, Deadline deadline);

}  // namespace rbus
