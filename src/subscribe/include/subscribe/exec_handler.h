// --exec CMD: one `sh -c CMD` per matching event, run in order (each waited
// for), the envelope's JSON line on its stdin and the event's identity in its
// environment (RBUS_EVENT_ID, RBUS_EVENT_TYPE, RBUS_CHANNEL, RBUS_PRIORITY,
// RBUS_REQUEST_ID, RBUS_WORKSPACE_ID).
//
// Each handler runs in a process group of its own, so that whatever it starts
// (`sh -c 'sleep 15'` forks sleep) ends with it: at the run's deadline the
// whole group is killed at once; at --exec-timeout, or when rbus is told to
// stop (SIGINT/SIGTERM), the group gets SIGTERM and, 2 s later, SIGKILL. The
// handler dies with rbus (PR_SET_PDEATHSIG), and stops and continues with it
// (Ctrl-Z: SIGTSTP and SIGCONT are passed on to its group).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/deadline.h"

namespace rbus {

struct HandlerResult {
    int exit_code = 0;  // the handler's exit status, or 128+N when killed by signal N
    bool timed_out = false;  // ended by rbus at --exec-timeout or the run's deadline
    bool run_over = false;   // of those, ended by the run's deadline (--timeout): not the handler's failure
    bool ok() const { return exit_code == 0 && !timed_out; }
    std::string describe() const;  // "exit 3" / "killed by signal 9" / "timed out after 2s"
};

struct ExecLimits {
    std::chrono::milliseconds timeout{0};  // --exec-timeout: 0 none
    Deadline run_deadline;                 // --timeout: the group is killed at once when it comes
};

class ExecHandler {
public:
    explicit ExecHandler(std::string command, ExecLimits limits = {})
        : command_(std::move(command)), limits_(limits) {}

    // Runs the command once: `input` (plus a newline) on its stdin, `vars` added
    // to (or replacing in) this process's environment. Returns once it exited.
    // Throws Error when it cannot be started at all.
    HandlerResult run(std::string_view input, const std::vector<std::pair<std::string, std::string>>& vars) const;

    const std::string& command() const { return command_; }

    // While a handler runs, `beat` is called every `every` (a --group consumer
    // keeps its event from being claimed). It must not throw.
    void set_heartbeat(std::chrono::milliseconds every, std::function<void()> beat) {
        beat_every_ = every;
        beat_ = std::move(beat);
    }

private:
    std::string command_;
    ExecLimits limits_;
    std::chrono::milliseconds beat_every_{0};
    std::function<void()> beat_;
};

}  // namespace rbus
