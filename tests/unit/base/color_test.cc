#include <doctest/doctest.h>

#include "base/color.h"
#include "base/log.h"
#include "base/table.h"

using namespace rbus;

TEST_CASE("coloured text is one SGR sequence, the text, and a reset") {
    CHECK(sgr_text(sgr::blue, "key") == "\x1b[34mkey\x1b[0m");
    CHECK(sgr_text(sgr::bold_red, "agent.task_failed") == "\x1b[1;31magent.task_failed\x1b[0m");
    std::string out = "a ";
    append_sgr(out, sgr::dim, "b");
    append_sgr(out, "", " c");  // no attributes: the text alone
    CHECK(out == "a \x1b[2mb\x1b[0m c");
}

TEST_CASE("table cells: bold heads, blue names, cyan numbers, bold red warnings; none when colour is off") {
    Painter on(true), off(false);
    CHECK(on("CHANNEL", Paint::head) == "\x1b[1mCHANNEL\x1b[0m");
    CHECK(on("raptorflow.events.a", Paint::name) == "\x1b[34mraptorflow.events.a\x1b[0m");
    CHECK(on("12", Paint::number) == "\x1b[36m12\x1b[0m");
    CHECK(on("3 invalid", Paint::warn) == "\x1b[1;31m3 invalid\x1b[0m");
    CHECK(on("plain", Paint::none) == "plain");
    CHECK(on("", Paint::warn).empty());
    CHECK(off("CHANNEL", Paint::head) == "CHANNEL");
}

TEST_CASE("log levels in colour: red errors, yellow warnings, plain info, dim debug") {
    Logger l;
    l.configure(LogLevel::debug, LogFormat::text, "x");
    l.set_color(true);
    CHECK(l.render(LogLevel::error, "m", {}) == "\x1b[31mERROR\x1b[0m bus - m\n");
    CHECK(l.render(LogLevel::warn, "m", {}) == "\x1b[33mWARN\x1b[0m bus - m\n");
    CHECK(l.render(LogLevel::info, "m", {}) == "INFO bus - m\n");
    CHECK(l.render(LogLevel::debug, "m", {}) == "\x1b[2mDEBUG\x1b[0m bus - m\n");
}
