// nlohmann_double_text must be byte for byte what nlohmann's dump() writes for
// a double: the one-pass reader's canonical check and rewrite of floats rely on it.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "json/json_canon.h"

using namespace rbus;

namespace {

std::string text_of(double x) {
    char buf[kDoubleTextSize];
    return std::string(nlohmann_double_text(x, buf));
}

}  // namespace

TEST_CASE("nlohmann_double_text: dump()'s text for every kind of double") {
    const double edges[] = {0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 100000.0, 1e15, 1e16, 1e17, 1e-4, 1e-5, 1e21,
                            123456789012345678.0, 0.30000000000000004, 5e-324, 2.2250738585072014e-308,
                            std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(),
                            std::numeric_limits<double>::min(), std::numeric_limits<double>::denorm_min()};
    for (double x : edges) CHECK(text_of(x) == nlohmann::json(x).dump());
    CHECK(text_of(1.5) == "1.5");
    CHECK(text_of(100000.0) == "100000.0");
    CHECK(text_of(-0.0) == "-0.0");
    CHECK(text_of(std::numeric_limits<double>::infinity()) == nlohmann::json(INFINITY).dump());  // null

    std::mt19937_64 rng(15);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::uniform_int_distribution<int> exp10(-30, 30), digits(1, 17);
    for (int n = 0; n < 200000; ++n) {
        double x;
        if (n % 2 == 0) {  // any finite bit pattern
            std::uint64_t bits = rng();
            std::memcpy(&x, &bits, sizeof x);
            if (!std::isfinite(x)) continue;
        } else {  // the decimals people write: a few digits at some scale
            x = std::round(unit(rng) * std::pow(10.0, digits(rng))) * std::pow(10.0, exp10(rng));
        }
        REQUIRE(text_of(x) == nlohmann::json(x).dump());
    }
}

TEST_CASE("is_canonical_number: a float is canonical exactly when nlohmann reads and writes it back the same") {
    for (const char* t : {"1.5", "0.5", "1.0", "1e5", "100000.0", "1.50", "0.1", "1E5", "-0.0", "0.30000000000000004",
                          "0.30000000000000003", "1e+21", "1e21", "1.0e-05", "1e-05", "1.7976931348623157e+308"}) {
        INFO(t);
        CHECK(is_canonical_number(t) == (nlohmann::json::parse(t).dump() == t));
    }
}

TEST_CASE("nlohmann_double_text: a repeated double (from its cache) gives dump()'s text again, whatever came between") {
    std::mt19937_64 rng(18);
    std::vector<double> seen;
    for (int n = 0; n < 5000; ++n) {  // 5000 values over 1024 slots: hits, misses and replaced entries
        std::uint64_t bits = rng();
        double x;
        std::memcpy(&x, &bits, sizeof x);
        if (!std::isfinite(x)) continue;
        seen.push_back(x);
        REQUIRE(text_of(x) == nlohmann::json(x).dump());
    }
    for (int round = 0; round < 2; ++round)
        for (double x : seen) REQUIRE(text_of(x) == nlohmann::json(x).dump());
    for (double x : {0.5, 1.5, 2.5, 0.5, -0.0, 0.0, -0.0}) CHECK(text_of(x) == nlohmann::json(x).dump());
}
