#include "exec_handler.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "error.h"
#include "signals.h"

extern char** environ;

namespace rbus {
namespace {

// We were told to stop (SIGTERM, or SIGINT not sent to the whole process
// group) while a handler runs: pass SIGTERM on, give it 2 s, then SIGKILL.
// Returns true once the child is reaped (its status in `status`).
bool stop_child(pid_t pid, int& status) {
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 100; ++i) {
        if (::waitpid(pid, &status, WNOHANG) == pid) return true;
        ::poll(nullptr, 0, 20);
    }
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) != pid)
        if (errno != EINTR) return true;  // already gone
    return true;
}

// The handler's environment: ours, with `vars` replacing same-named entries.
std::vector<std::string> child_env(const std::vector<std::pair<std::string, std::string>>& vars) {
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string_view entry(*e);
        bool replaced = false;
        for (const auto& [k, v] : vars)
            if (entry.size() > k.size() && entry.substr(0, k.size()) == k && entry[k.size()] == '=') replaced = true;
        if (!replaced) env.emplace_back(entry);
    }
    for (const auto& [k, v] : vars) env.push_back(k + "=" + v);
    return env;
}

struct Fd {
    int fd = -1;
    ~Fd() { reset(); }
    void reset() {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
};

int decode_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

}  // namespace

std::string HandlerResult::describe() const {
    if (exit_code > 128) return fmt::format("killed by signal {}", exit_code - 128);
    return fmt::format("exit {}", exit_code);
}

HandlerResult ExecHandler::run(std::string_view input,
                               const std::vector<std::pair<std::string, std::string>>& vars) const {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw Error(fmt::format("--exec: cannot create a pipe: {}", std::strerror(errno)));
    Fd read_end{p[0]}, write_end{p[1]};

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, read_end.fd, STDIN_FILENO);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // The handler gets default SIGPIPE/SIGINT/SIGTERM dispositions, not ours.
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> env = child_env(vars);
    std::vector<char*> envp;
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string sh = "sh", dash_c = "-c", cmd = command_;
    char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};

    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) throw Error(fmt::format("--exec: cannot start /bin/sh: {}", std::strerror(rc)));
    read_end.reset();

    // Feed stdin without blocking forever on a handler that does not read it:
    // stop writing once it exited, or when it closed its stdin (EPIPE).
    std::string line(input);
    line += '\n';
    std::size_t off = 0;
    int status = 0;
    bool reaped = false;
    ::fcntl(write_end.fd, F_SETFL, O_NONBLOCK);
    while (off < line.size() && !reaped) {
        ssize_t n = ::write(write_end.fd, line.data() + off, line.size() - off);
        if (n > 0) {
            off += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR) break;  // EPIPE: it does not want more
        pollfd pfd{write_end.fd, POLLOUT, 0};
        ::poll(&pfd, 1, 50);
        pid_t w = ::waitpid(pid, &status, WNOHANG);
        if (w == pid) reaped = true;
    }
    write_end.reset();
    while (!reaped) {
        pid_t w = ::waitpid(pid, &status, 0);
        if (w == pid) reaped = true;
        else if (w < 0 && errno != EINTR) throw Error(fmt::format("--exec: waitpid: {}", std::strerror(errno)));
        else if (w < 0 && pending_signal()) reaped = stop_child(pid, status);
    }
    return HandlerResult{decode_status(status)};
}

}  // namespace rbus
