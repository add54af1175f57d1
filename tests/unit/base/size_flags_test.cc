#include <doctest/doctest.h>

#include "base/error.h"
#include "base/size_flags.h"

using namespace rbus;

TEST_CASE("--max-bytes: a whole number from 1; zero, negative and junk are usage errors") {
    CHECK(parse_max_bytes("1") == 1);
    CHECK(parse_max_bytes("16777216") == 16777216);
    CHECK_THROWS_AS(parse_max_bytes("0"), UsageError);
    CHECK_THROWS_AS(parse_max_bytes("-1"), UsageError);
    CHECK_THROWS_AS(parse_max_bytes("1e6"), UsageError);
    CHECK_THROWS_AS(parse_max_bytes(""), UsageError);
    CHECK_THROWS_WITH_AS(parse_max_bytes("0"), "invalid --max-bytes \"0\": a number of bytes from 1 to 1099511627776",
                         UsageError);
}

TEST_CASE("--count: 0 to 2^63 - 1") {
    CHECK(parse_count("--count", "0") == 0);
    CHECK(parse_count("--count", "9223372036854775807") == 9223372036854775807ULL);
    CHECK_THROWS_AS(parse_count("--count", "9223372036854775808"), UsageError);
    CHECK_THROWS_AS(parse_count("--count", "18446744073709551616"), UsageError);
    CHECK_THROWS_AS(parse_count("--count", "-1"), UsageError);
    CHECK_THROWS_AS(parse_count("--count", "ten"), UsageError);
}
