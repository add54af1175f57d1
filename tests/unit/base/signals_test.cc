#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <functional>
#include <string>
#include <thread>

#include "app/output.h"
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

TEST_CASE("stdout after a signal: one short grace for all that is buffered, however much, then whole lines only") {
    // A replay's held output (up to 64 MiB) released to a slow reader just as
    // SIGTERM comes: the tool must not keep writing it for minutes.
    CHECK(in_child([] {
              int fds[2];
              if (::pipe(fds) != 0) return false;
              std::thread([fd = fds[0]] {  // 4 KiB every 20 ms: 8 MiB would take 40 s
                  char buf[4096];
                  while (::read(fd, buf, sizeof buf) > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
              }).detach();
              auto start = Clock::now();
              {
                  StdoutWriter out(fds[1]);
                  out.hold(8 << 20);
                  const std::string line(99, 'x');
                  for (int i = 0; i < 80000; ++i) out.line(line);
                  ::raise(SIGTERM);
                  out.release();
              }
              return Clock::now() - start < std::chrono::seconds(5);
          }) == 0);
}

TEST_CASE("stdout after a signal: the grace is one for all the flushes that follow, not one each") {
    // A consumer group flushes per event: a reader that stopped must not hold
    // the exit for a grace per flush (it took 20-24 s).
    CHECK(in_child([] {
              int fds[2];
              if (::pipe(fds) != 0) return false;  // nobody reads: the pipe fills, then every write waits
              auto start = Clock::now();
              {
                  StdoutWriter out(fds[1]);
                  const std::string line(1000, 'x');
                  for (int i = 0; i < 64; ++i) out.line(line);  // the pipe's 64 KiB
                  out.flush();
                  ::raise(SIGTERM);
                  for (int i = 0; i < 20; ++i) {
                      for (int k = 0; k < 70; ++k) out.line(line);
                      out.flush();
                  }
                  if (!out.gave_up()) return false;
              }
              return Clock::now() - start < std::chrono::seconds(3);
          }) == 0);
}
