#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <functional>
#include <thread>

#include "base/signals.h"

using namespace rbus;

namespace {
// Runs `body` in a child process (the signal flag, once set, stays set for the
// process): its exit status, 0 when body returned true.
int in_child(const std::function<bool()>& body) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        install_signal_handlers();
        ::_exit(body() ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
}
}  // namespace

TEST_CASE("sleep_unless_signal: with no signal it sleeps to the end") {
    REQUIRE(pending_signal() == 0);
    auto until = Clock::now() + std::chrono::milliseconds(30);
    CHECK(sleep_unless_signal(until));
    CHECK(Clock::now() >= until);
    CHECK(sleep_unless_signal(Clock::now() - std::chrono::seconds(1)));  // already past: at once
}

TEST_CASE("sleep_unless_signal: a pending signal ends it before the end") {
    CHECK(in_child([] {
              ::raise(SIGTERM);  // the handler sets the flag
              auto until = Clock::now() + std::chrono::seconds(60);
              return !sleep_unless_signal(until) && Clock::now() < until;
          }) == 0);
}

TEST_CASE("sleep_unless_signal: a signal during the sleep ends it") {
    CHECK(in_child([] {
              std::thread([] {
                  std::this_thread::sleep_for(std::chrono::milliseconds(20));
                  ::kill(::getpid(), SIGINT);
              }).detach();
              auto until = Clock::now() + std::chrono::seconds(60);
              return !sleep_unless_signal(std::chrono::seconds(60)) && Clock::now() < until &&
                     pending_signal() == SIGINT;
          }) == 0);
}

TEST_CASE("pause_unless_signal (the reconnect loops' default pause): a pending signal ends it at once") {
    CHECK(in_child([] {
              ::raise(SIGINT);
              auto until = Clock::now() + std::chrono::seconds(60);
              pause_unless_signal(std::chrono::seconds(60));
              return Clock::now() < until && pending_signal() == SIGINT;
          }) == 0);
}
