#include "subscribe/exec_handler.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/error.h"
#include "base/signals.h"

extern char** environ;

namespace rbus {
namespace {

constexpr int kGraceMs = 2000;  // SIGTERM, then SIGKILL after this

// The handler's group while it runs, for the SIGTSTP/SIGCONT handlers.
volatile sig_atomic_t g_group = 0;

// Ctrl-Z stops rbus's own group only (the handler has its own): stop the
// handler's group too, then stop as the default action would.
extern "C" void on_tstp(int) {
    int saved = errno;
    if (g_group > 0) ::kill(-g_group, SIGTSTP);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(SIGTSTP, &dfl, nullptr);
    ::raise(SIGTSTP);  // pending until this handler returns: then rbus stops
    errno = saved;
}

extern "C" void on_cont(int) {
    int saved = errno;
    if (g_group > 0) ::kill(-g_group, SIGCONT);
    struct sigaction sa {};
    sa.sa_handler = on_tstp;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGTSTP, &sa, nullptr);  // ready for the next Ctrl-Z
    errno = saved;
}

// Passes job control on to the handler's group while it runs.
class JobControlForwarding {
public:
    explicit JobControlForwarding(pid_t group) {
        g_group = group;
        struct sigaction sa {};
        sigemptyset(&sa.sa_mask);
        sa.sa_handler = on_tstp;
        ::sigaction(SIGTSTP, &sa, &old_tstp_);
        sa.sa_handler = on_cont;
        ::sigaction(SIGCONT, &sa, &old_cont_);
    }
    ~JobControlForwarding() {
        ::sigaction(SIGTSTP, &old_tstp_, nullptr);
        ::sigaction(SIGCONT, &old_cont_, nullptr);
        g_group = 0;
    }
    JobControlForwarding(const JobControlForwarding&) = delete;
    JobControlForwarding& operator=(const JobControlForwarding&) = delete;

private:
    struct sigaction old_tstp_ {}, old_cont_ {};
};

// Reaps pid within ms; true when it was reaped (its status in `status`).
bool reap_within(pid_t pid, int& status, int ms) {
    for (int waited = 0;; waited += 20) {
        pid_t w = ::waitpid(pid, &status, WNOHANG);
        if (w == pid || (w < 0 && errno == ECHILD)) return true;
        if (waited >= ms) return false;
        ::poll(nullptr, 0, 20);
    }
}

// Ends the handler's whole group: SIGTERM and a grace period, or SIGKILL at once.
void end_group(pid_t pid, int& status, bool at_once) {
    if (!at_once) {
        ::kill(-pid, SIGTERM);
        ::kill(-pid, SIGCONT);  // a stopped group must be able to act on it
        if (reap_within(pid, status, kGraceMs)) {
            ::kill(-pid, SIGKILL);  // what it started and left behind
            return;
        }
    }
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &status, 0) != pid)
        if (errno != EINTR) return;  // already gone
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

// In the child, between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_child(int stdin_fd, pid_t parent, char* const argv[], char* const envp[]) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);  // rbus died before the line above
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGTSTP, SIGCONT}) ::sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (::dup2(stdin_fd, STDIN_FILENO) < 0) ::_exit(127);
    ::execve("/bin/sh", argv, envp);
    ::_exit(127);
}

}  // namespace

std::string HandlerResult::describe() const {
    if (timed_out) return "timed out, its process group ended";
    if (exit_code > 128) return fmt::format("killed by signal {}", exit_code - 128);
    return fmt::format("exit {}", exit_code);
}

HandlerResult ExecHandler::run(std::string_view input,
                               const std::vector<std::pair<std::string, std::string>>& vars) const {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw Error(fmt::format("--exec: cannot create a pipe: {}", std::strerror(errno)));
    Fd read_end{p[0]}, write_end{p[1]};

    std::vector<std::string> env = child_env(vars);
    std::vector<char*> envp;
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string sh = "sh", dash_c = "-c", cmd = command_;
    char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};

    const pid_t parent = ::getpid();
    // SIGINT/SIGTERM blocked across the fork: the child would otherwise take
    // one sent to its group before it reset rbus's handlers (a flag set in its
    // copy, the signal lost, the handler run to its end). It unblocks them
    // once they are back to their default action.
    sigset_t stop_signals, before;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    ::sigprocmask(SIG_BLOCK, &stop_signals, &before);
    pid_t pid = ::fork();
    if (pid == 0) exec_child(read_end.fd, parent, argv, envp.data());
    const int fork_errno = errno;
    ::sigprocmask(SIG_SETMASK, &before, nullptr);
    if (pid < 0) throw Error(fmt::format("--exec: cannot start /bin/sh: {}", std::strerror(fork_errno)));
    ::setpgid(pid, pid);  // also here: no race with the kill(-pid) below
    read_end.reset();
    JobControlForwarding forwarding(pid);

    Deadline own = deadline_after(limits_.timeout);
    auto deadline_passed = [&](Clock::time_point now) {
        return (own && now >= *own) || (limits_.run_deadline && now >= *limits_.run_deadline);
    };
    // Feed stdin without blocking forever on a handler that does not read it:
    // stop writing once it exited, or when it closed its stdin (EPIPE).
    std::string line(input);
    line += '\n';
    std::size_t off = 0;
    int status = 0;
    ::fcntl(write_end.fd, F_SETFL, O_NONBLOCK);
    Clock::time_point next_beat = Clock::now() + beat_every_;
    while (true) {
        if (off < line.size()) {
            ssize_t n = ::write(write_end.fd, line.data() + off, line.size() - off);
            if (n > 0) off += static_cast<std::size_t>(n);
            else if (n < 0 && errno != EAGAIN && errno != EINTR) off = line.size();  // EPIPE: it wants no more
            if (off >= line.size()) write_end.reset();
        }
        pid_t w = ::waitpid(pid, &status, WNOHANG);
        if (w == pid || (w < 0 && errno == ECHILD)) break;
        if (pending_signal()) {
            end_group(pid, status, false);
            break;
        }
        auto now = Clock::now();
        if (deadline_passed(now)) {
            bool run_over = limits_.run_deadline && now >= *limits_.run_deadline;
            end_group(pid, status, run_over);  // the run's deadline: at once
            return HandlerResult{decode_status(status), true, run_over};
        }
        if (beat_ && now >= next_beat) {
            beat_();
            next_beat = Clock::now() + beat_every_;
        }
        pollfd pfd{write_end.fd, POLLOUT, 0};
        ::poll(&pfd, write_end.fd >= 0 ? 1 : 0, 20);  // the handler's end is checked every 20 ms
    }
    return HandlerResult{decode_status(status)};
}

}  // namespace rbus
