#include "bus/live_absorber.h"

#include <pthread.h>
#include <signal.h>

#include <chrono>

#include "base/error.h"

namespace rbus {
namespace {

// How long one read waits: the most the destructor waits for the thread.
constexpr std::chrono::milliseconds kSlice{2};

}  // namespace

LiveAbsorber::LiveAbsorber(BusSubscriber& sub) : sub_(sub) {
    // Signals blocked while the thread is made, so that it starts (and stays)
    // with every signal blocked: SIGINT/SIGTERM keep waking the main thread.
    sigset_t all, before;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &before);
    thread_ = std::thread([this] { run(); });
    pthread_sigmask(SIG_SETMASK, &before, nullptr);
}

LiveAbsorber::~LiveAbsorber() {
    stop_.store(true, std::memory_order_relaxed);
    if (thread_.joinable()) thread_.join();
}

void LiveAbsorber::run() {
    try {
        // Until it takes no more (then the server's limit applies again).
        while (!stop_.load(std::memory_order_relaxed) && sub_.absorb(Clock::now() + kSlice)) {
        }
    } catch (const Error&) {
        // The connection was lost: the consume loop finds out on its next read
        // (after what was read here) and reconnects as it would have.
    }
}

}  // namespace rbus
