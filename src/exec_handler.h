// --exec CMD: one `sh -c CMD` per matching event, run in order (each waited
// for), the envelope's JSON line on its stdin and the event's identity in its
// environment (RBUS_EVENT_ID, RBUS_EVENT_TYPE, RBUS_CHANNEL, RBUS_PRIORITY,
// RBUS_REQUEST_ID, RBUS_WORKSPACE_ID). Started with posix_spawn.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rbus {

struct HandlerResult {
    int exit_code = 0;  // the handler's exit status, or 128+N when killed by signal N
    bool ok() const { return exit_code == 0; }
    std::string describe() const;  // "exit 3" / "killed by signal 9"
};

class ExecHandler {
public:
    explicit ExecHandler(std::string command) : command_(std::move(command)) {}

    // Runs the command once: `input` (plus a newline) on its stdin, `vars` added
    // to (or replacing in) this process's environment. Returns once it exited.
    // Throws Error when it cannot be started at all.
    HandlerResult run(std::string_view input, const std::vector<std::pair<std::string, std::string>>& vars) const;

    const std::string& command() const { return command_; }

private:
    std::string command_;
};

}  // namespace rbus
