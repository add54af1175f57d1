#include "base/timestamp.h"

#include <string>

#include <doctest/doctest.h>

using namespace rbus;
using namespace std::chrono;
using namespace std::chrono_literals;

namespace {

SystemTime at(year_month_day day, microseconds since_midnight) {
    return SystemTime{sys_days{day}} + since_midnight;
}

std::string norm(std::string_view text) { return normalize_timestamp(text).value_or("<rejected>"); }

}  // namespace

TEST_CASE("format_timestamp: UTC, microseconds, Z") {
    CHECK(format_timestamp(at(2026y / 11 / 26, 16h + 10min + 30s + 237319us)) == "2026-11-26T16:10:30.237319Z");
    CHECK(format_timestamp(SystemTime{}) == "1970-01-01T00:00:00.000000Z");
    CHECK(format_timestamp(SystemTime{} - 1us) == "1969-12-31T23:59:59.999999Z");
    CHECK(format_timestamp(at(2024y / 2 / 29, 23h + 59min + 59s)) == "2024-02-29T23:59:59.000000Z");
    // Nanoseconds are truncated, not rounded.
    CHECK(format_timestamp(SystemTime{} + 1999ns) == "1970-01-01T00:00:00.000001Z");
}

TEST_CASE("now_timestamp is the current time in the canonical form") {
    const auto before = floor<microseconds>(system_clock::now());
    const std::string now = now_timestamp();
    const auto after = system_clock::now();
    REQUIRE(now.size() == 27);
    CHECK(now[10] == 'T');
    CHECK(now.back() == 'Z');
    auto parsed = parse_timestamp(now);
    REQUIRE(parsed);
    CHECK(*parsed >= before);
    CHECK(*parsed <= after);
}

TEST_CASE("parse_timestamp: the forms RaptorFlow and people write") {
    const SystemTime want = at(2026y / 11 / 26, 16h + 10min + 30s + 237319us);
    CHECK(parse_timestamp("2026-11-26T16:10:30.237319Z") == want);
    CHECK(parse_timestamp("2026-11-26T16:10:30.237319") == want);        // naive: UTC (BusEvent)
    CHECK(parse_timestamp("2026-11-26 16:10:30.237319") == want);        // space separator
    CHECK(parse_timestamp("2026-11-26t16:10:30.237319z") == want);       // lowercase
    CHECK(parse_timestamp("2026-11-26T18:10:30.237319+02:00") == want);  // offset converted to UTC
    CHECK(parse_timestamp("2026-11-26T18:10:30.237319+0200") == want);
    CHECK(parse_timestamp("2026-11-26T10:40:30.237319-05:30") == want);
    CHECK(parse_timestamp("2026-11-26T16:10:30.237319+00:00") == want);
    CHECK(parse_timestamp("2026-11-26T16:10:30.237319999Z") == want);    // 9 digits, truncated
    CHECK(parse_timestamp("2026-11-26T16:10:30Z") == at(2026y / 11 / 26, 16h + 10min + 30s));
    CHECK(parse_timestamp("2026-11-26T16:10:30.5Z") == at(2026y / 11 / 26, 16h + 10min + 30s + 500ms));
    CHECK(parse_timestamp("2026-11-27T00:30:00+01:00") == at(2026y / 11 / 26, 23h + 30min));  // day boundary
    CHECK(parse_timestamp("2024-02-29T00:00:00Z") == at(2024y / 2 / 29, 0us));
    CHECK(parse_timestamp("1969-12-31T23:59:59.999999Z") == SystemTime{} - 1us);
}

TEST_CASE("parse_timestamp: rejects what is not a date-time") {
    for (const char* bad : {"", "now", "2026-11-26", "2026-11-26T16:10", "2026-11-26T16:10:30.",
                            "2026-11-26T16:10:30.1234567890Z", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z",
                            "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-26T24:00:00Z",
                            "2026-11-26T16:60:00Z", "2026-11-26T16:10:61Z", "2026-11-26T16:10:30Zjunk",
                            "2026-11-26T16:10:30 ", " 2026-11-26T16:10:30Z", "2026-11-26T16:10:30+2:00",
                            "2026-11-26T16:10:30+02", "2026-11-26T16:10:30+24:00", "2026-11-26T16:10:30+02:00Z",
                            "2026/11/26T16:10:30Z", "2026-11-26X16:10:30Z", "20261-1-26T16:10:30Z",
                            "9999-12-31T23:59:59Z", "1000-01-01T00:00:00Z"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_timestamp(bad));
    }
}

TEST_CASE("normalize_timestamp: parse then format") {
    CHECK(norm("2026-11-26T16:10:30.237319") == "2026-11-26T16:10:30.237319Z");
    CHECK(norm("2026-11-26T18:10:30+02:00") == "2026-11-26T16:10:30.000000Z");
    CHECK(norm("2026-11-26 16:10:30.1") == "2026-11-26T16:10:30.100000Z");
    CHECK(norm("2026-11-26T16:10:59.5Z") == "2026-11-26T16:10:59.500000Z");
    CHECK(norm("2026-12-31T23:59:60Z") == "2027-01-01T00:00:00.000000Z");  // leap second carried over
    CHECK(norm("yesterday") == "<rejected>");
}

TEST_CASE("timestamps round-trip through format and parse") {
    for (SystemTime t : {SystemTime{}, at(2026y / 11 / 26, 16h + 10min + 30s + 237319us),
                         at(2000y / 1 / 1, 0us), at(2099y / 12 / 31, 23h + 59min + 59s + 999999us),
                         SystemTime{floor<microseconds>(system_clock::now())}}) {
        const std::string text = format_timestamp(t);
        CAPTURE(text);
        CHECK(parse_timestamp(text) == t);
        CHECK(normalize_timestamp(text) == text);
    }
}

TEST_CASE("TimestampFormatter: the same text as format_timestamp, across seconds and days") {
    TimestampFormatter f;
    const SystemTime base = at(2026y / 11 / 26, 23h + 59min + 58s + 999990us);
    for (microseconds step : {0us, 5us, 9us, 10us, 1000000us, 1000001us, 2000000us, 86400000000us, -1us}) {
        SystemTime t = base + step;
        char out[TimestampFormatter::kLength];
        f.format(t, out);
        CHECK(std::string(out, sizeof out) == format_timestamp(t));
    }
    char now[TimestampFormatter::kLength];
    f.now(now);
    CHECK(parse_timestamp(std::string(now, sizeof now)));
}
