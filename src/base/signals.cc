#include "base/signals.h"

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

}  // namespace rbus
