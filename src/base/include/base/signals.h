// SIGINT/SIGTERM become a flag that long-running loops check; SIGPIPE is
// ignored so that a closed stdout shows up as EPIPE on write.
#pragma once

namespace rbus {

void install_signal_handlers();
// 0, or the number of the first SIGINT/SIGTERM received.
int pending_signal();
// The exit code for a signal: 130 for SIGINT, 143 for SIGTERM.
int signal_exit_code(int signo);
// Throws Interrupted (error.h) when a signal is pending: for waits that would
// otherwise run on to their deadline and report a timeout.
void throw_if_interrupted();

}  // namespace rbus
