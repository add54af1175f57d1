#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <csignal>

// The tools ignore SIGPIPE (src/base/signals.cc) and the library relies on write()
// returning EPIPE (e.g. an --exec handler that closes its stdin early), so the
// unit tests run with the same disposition whatever the parent shell set.
int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    return doctest::Context(argc, argv).run();
}
