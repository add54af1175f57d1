#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "subscribe/exec_handler.h"

using namespace rbus;

TEST_CASE("the handler reads the line on stdin and the variables in its environment") {
    char tmpl[] = "/tmp/rbus-exec-test.XXXXXX";
    int fd = ::mkstemp(tmpl);
    REQUIRE(fd >= 0);
    ::close(fd);
    std::string out = tmpl;
    ExecHandler h("cat > " + out + "; printf '%s|%s' \"$RBUS_EVENT_TYPE\" \"$RBUS_REQUEST_ID\" >> " + out);
    HandlerResult r = h.run(R"({"type":"a.b"})", {{"RBUS_EVENT_TYPE", "a.b"}, {"RBUS_REQUEST_ID", ""}});
    CHECK(r.ok());
    FILE* f = std::fopen(out.c_str(), "r");
    REQUIRE(f);
    char buf[256] = {};
    std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    std::remove(out.c_str());
    CHECK(std::string(buf, n) == "{\"type\":\"a.b\"}\na.b|");
}

TEST_CASE("exit status and signals are reported") {
    CHECK(ExecHandler("exit 3").run("x", {}).exit_code == 3);
    CHECK(ExecHandler("exit 3").run("x", {}).describe() == "exit 3");
    HandlerResult killed = ExecHandler("kill -9 $$").run("x", {});
    CHECK(killed.exit_code == 137);
    CHECK(killed.describe() == "killed by signal 9");
}

TEST_CASE("a handler that ignores a large stdin does not hang the caller") {
    std::string big(1 << 20, 'x');
    CHECK(ExecHandler("exit 0").run(big, {}).ok());
    CHECK(ExecHandler("head -c 10 >/dev/null").run(big, {}).ok());
}

TEST_CASE("a handler runs in its own process group; --exec-timeout ends the whole group") {
    char tmpl[] = "/tmp/rbus-exec-pgid.XXXXXX";
    int fd = ::mkstemp(tmpl);
    REQUIRE(fd >= 0);
    ::close(fd);
    std::string out = tmpl;
    // The handler starts a child of its own (sleep), as `sh -c` handlers do.
    ExecHandler h("echo $$ > " + out + "; sleep 30 & wait", ExecLimits{std::chrono::milliseconds(300), std::nullopt});
    HandlerResult r = h.run("x", {});
    CHECK(r.timed_out);
    CHECK_FALSE(r.ok());
    FILE* f = std::fopen(out.c_str(), "r");
    REQUIRE(f);
    long pgid = 0;
    REQUIRE(std::fscanf(f, "%ld", &pgid) == 1);
    std::fclose(f);
    std::remove(out.c_str());
    CHECK(pgid != ::getpgrp());  // its own group, not ours
    // Nothing of it is left: the sleep ended too (reaped by init within moments).
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
        gone = ::kill(static_cast<pid_t>(-pgid), 0) != 0;
        if (!gone) ::usleep(20000);
    }
    CHECK(gone);
}

TEST_CASE("the run's deadline ends a handler at once") {
    ExecHandler h("sleep 30", ExecLimits{std::chrono::milliseconds(0), Clock::now() + std::chrono::milliseconds(200)});
    HandlerResult r = h.run("x", {});
    CHECK(r.timed_out);
    CHECK(r.exit_code == 137);  // SIGKILL, no grace
}
