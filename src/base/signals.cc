#include "base/signals.h"

#include <poll.h>

#include <algorithm>
#include <csignal>

#include "base/error.h"

namespace rbus {
namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_signal(int signo) {
    if (g_signal == 0) g_signal = signo;
}

}  // namespace

void install_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a blocking poll returns EINTR so the flag is seen at once
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

int pending_signal() { return g_signal; }

int signal_exit_code(int signo) { return signo == SIGINT ? kExitSigint : kExitSigterm; }

void throw_if_interrupted() {
    if (int s = pending_signal()) throw Interrupted(signal_exit_code(s));
}

bool sleep_unless_signal(Clock::time_point until) {
    while (!pending_signal()) {
        auto left = until - Clock::now();
        if (left <= Clock::duration::zero()) return true;
        auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();  // never 0 before the end
        ::poll(nullptr, 0, static_cast<int>(std::min<long long>(ms, kSleepSlice.count())));  // EINTR: a signal
    }
    return false;
}

}  // namespace rbus
