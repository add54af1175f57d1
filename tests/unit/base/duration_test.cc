#include <doctest/doctest.h>

#include <string>

#include "base/duration.h"
#include "base/error.h"

using namespace rbus;
using std::chrono::milliseconds;

namespace {

std::string duration_error(std::string_view text) {
    try {
        parse_duration(text);
    } catch (const UsageError& e) {
        return e.what();
    }
    return "";
}

void check_duration_rejected(std::string_view text) {
    CAPTURE(text);
    std::string msg = duration_error(text);
    CHECK_FALSE(msg.empty());
    CHECK(msg.rfind("invalid duration \"", 0) == 0);
    CHECK(msg.find('\n') == std::string::npos);
    CHECK(msg.find('\r') == std::string::npos);
}

}  // namespace

TEST_CASE("durations with units") {
    CHECK(parse_duration("250ms") == milliseconds(250));
    CHECK(parse_duration("5s") == milliseconds(5000));
    CHECK(parse_duration("2m") == milliseconds(120000));
    CHECK(parse_duration("1h") == milliseconds(3600000));
    CHECK(parse_duration("0") == milliseconds(0));
    CHECK(parse_duration("0s") == milliseconds(0));
    CHECK(parse_duration("0ms") == milliseconds(0));
    CHECK(parse_duration("0.0") == milliseconds(0));
    CHECK(parse_duration("1ms") == milliseconds(1));
    CHECK(parse_duration("007s") == milliseconds(7000));
}

TEST_CASE("decimals are exact and round to the millisecond") {
    CHECK(parse_duration("1.5s") == milliseconds(1500));
    CHECK(parse_duration("0.25s") == milliseconds(250));
    CHECK(parse_duration("1.005s") == milliseconds(1005));
    CHECK(parse_duration("0.1m") == milliseconds(6000));
    CHECK(parse_duration("1.5h") == milliseconds(5400000));
    CHECK(parse_duration("2.5ms") == milliseconds(3));
    CHECK(parse_duration("0.0005s") == milliseconds(1));
    CHECK(parse_duration("1.123456789123s") == milliseconds(1123));
}

TEST_CASE("compound durations") {
    CHECK(parse_duration("1h30m") == milliseconds(5400000));
    CHECK(parse_duration("1m30s") == milliseconds(90000));
    CHECK(parse_duration("1s500ms") == milliseconds(1500));
    check_duration_rejected("1h30");
    CHECK(duration_error("1h30") == "invalid duration \"1h30\": use a unit, e.g. 250ms, 5s, 2m, 1h");
}

TEST_CASE("a bare number needs a unit") {
    CHECK_THROWS_WITH_AS(parse_duration("5"), "invalid duration \"5\": use a unit, e.g. 250ms, 5s, 2m, 1h",
                         UsageError);
    CHECK(duration_error("1.5") == "invalid duration \"1.5\": use a unit, e.g. 250ms, 5s, 2m, 1h");
    CHECK(duration_error("250") == "invalid duration \"250\": use a unit, e.g. 250ms, 5s, 2m, 1h");
}

TEST_CASE("negative, garbage and overflow are rejected") {
    check_duration_rejected("");
    check_duration_rejected("-1s");
    CHECK(duration_error("-1s").find("negative") != std::string::npos);
    check_duration_rejected("-0s");
    check_duration_rejected("+1s");
    check_duration_rejected("5d");
    CHECK(duration_error("5d") == "invalid duration \"5d\": unknown unit \"d\": use ms, s, m or h");
    check_duration_rejected("5S");
    check_duration_rejected("5sec");
    check_duration_rejected("5us");
    check_duration_rejected("s");
    check_duration_rejected("ms");
    check_duration_rejected(".5s");
    check_duration_rejected("1.s");
    check_duration_rejected("1..5s");
    check_duration_rejected("1.5.5s");
    check_duration_rejected(" 5s");
    check_duration_rejected("5s ");
    check_duration_rejected("1 s");
    check_duration_rejected("5s\n");
    check_duration_rejected("5s\r\nx");
    CHECK(duration_error("5s\n").find("\\x0a") != std::string::npos);
    check_duration_rejected("1e3ms");
    check_duration_rejected("0x10s");
    check_duration_rejected("abc");
    check_duration_rejected("0.1ms");  // below the resolution
    CHECK(duration_error("0.1ms").find("1ms") != std::string::npos);
}

TEST_CASE("overflow") {
    CHECK(parse_duration("8760h") == milliseconds(8760LL * 3600000));
    check_duration_rejected("8761h");
    check_duration_rejected("8760h1ms");
    check_duration_rejected("99999999999999h");
    check_duration_rejected("18446744073709551617ms");
    check_duration_rejected("99999999999999999999999999s");
    CHECK(duration_error("8761h").find("too long") != std::string::npos);
}

TEST_CASE("formatting") {
    CHECK(format_duration(milliseconds(0)) == "0ms");
    CHECK(format_duration(milliseconds(250)) == "250ms");
    CHECK(format_duration(milliseconds(999)) == "999ms");
    CHECK(format_duration(milliseconds(1000)) == "1.00s");
    CHECK(format_duration(milliseconds(2310)) == "2.31s");
    CHECK(format_duration(milliseconds(2315)) == "2.32s");
    CHECK(format_duration(milliseconds(2314)) == "2.31s");
    CHECK(format_duration(milliseconds(1999)) == "2.00s");
    CHECK(format_duration(milliseconds(90000)) == "90.00s");
    CHECK(format_duration(milliseconds(3600000)) == "3600.00s");
    CHECK(format_duration(milliseconds(-250)) == "-250ms");
    CHECK(format_duration(milliseconds(-2310)) == "-2.31s");
}

TEST_CASE("parse and format round trip") {
    CHECK(format_duration(parse_duration("1.5s")) == "1.50s");
    CHECK(format_duration(parse_duration("250ms")) == "250ms");
    CHECK(format_duration(parse_duration("2m")) == "120.00s");
}
