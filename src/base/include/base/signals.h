// SIGINT/SIGTERM become a flag that long-running loops check; SIGPIPE is
// ignored so that a closed stdout shows up as EPIPE on write.
#pragma once

#include <chrono>

#include "base/deadline.h"

namespace rbus {

void install_signal_handlers();
// 0, or the number of the first SIGINT/SIGTERM received.
int pending_signal();
// The exit code for a signal: 130 for SIGINT, 143 for SIGTERM.
int signal_exit_code(int signo);
// Throws Interrupted (error.h) when a signal is pending: for waits that would
// otherwise run on to their deadline and report a timeout.
void throw_if_interrupted();

// The one signal-aware sleep: until `until`, or less when SIGINT/SIGTERM comes
// (or was already pending). True when it slept to the end, false when a signal
// cut it short. It sleeps in slices of at most kSleepSlice, so that a signal
// landing between the check and the sleep (which then interrupts nothing) is
// still seen within a slice.
inline constexpr std::chrono::milliseconds kSleepSlice{100};
bool sleep_unless_signal(Clock::time_point until);
inline bool sleep_unless_signal(std::chrono::milliseconds d) { return sleep_unless_signal(Clock::now() + d); }
// sleep_unless_signal(d), its result dropped: the default pause (Sleeper) of
// the reconnect loops, which look at pending_signal() after it.
inline void pause_unless_signal(std::chrono::milliseconds d) { sleep_unless_signal(d); }

}  // namespace rbus
