#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "base/histogram.h"

using namespace rbus;

TEST_CASE("histogram: empty") {
    Histogram h;
    CHECK(h.count() == 0);
    CHECK(h.percentile(50) == 0);
    CHECK(h.percentile(99) == 0);
    CHECK(h.min() == 0);
    CHECK(h.max() == 0);
    CHECK(h.mean() == 0);
}

TEST_CASE("histogram: exact below 256, nearest rank") {
    Histogram h;
    for (int v = 100; v >= 1; --v) h.record(v);
    CHECK(h.count() == 100);
    CHECK(h.percentile(50) == 50);
    CHECK(h.percentile(99) == 99);
    CHECK(h.percentile(100) == 100);
    CHECK(h.percentile(0) == 1);
    CHECK(h.min() == 1);
    CHECK(h.max() == 100);
    CHECK(h.mean() == doctest::Approx(50.5));
}

TEST_CASE("histogram: buckets cover every value once, within 1/128") {
    std::size_t previous = 0;
    for (std::int64_t v = 0; v < 300000; v += (v < 5000 ? 1 : 37)) {
        std::size_t b = Histogram::bucket_of(v);
        CHECK_MESSAGE(b >= previous, v);
        previous = b;
        CHECK(Histogram::bucket_low(b) <= v);
        CHECK(Histogram::bucket_high(b) >= v);
        double width = static_cast<double>(Histogram::bucket_high(b) - Histogram::bucket_low(b) + 1);
        CHECK(width <= std::max(1.0, static_cast<double>(v) / 128.0));
    }
    for (std::size_t b = 1; b < Histogram::bucket_count(); ++b)
        CHECK(Histogram::bucket_low(b) == Histogram::bucket_high(b - 1) + 1);
    CHECK(Histogram::bucket_of(std::int64_t{1} << 50) == Histogram::bucket_count() - 1);
}

TEST_CASE("histogram: percentiles of a wide spread stay within 1%") {
    Histogram h;
    std::vector<std::int64_t> values;
    std::mt19937_64 rng(42);
    std::lognormal_distribution<double> dist(8.0, 2.0);  // microseconds: ~3ms median, long tail
    for (int i = 0; i < 20000; ++i) {
        auto v = static_cast<std::int64_t>(dist(rng));
        values.push_back(v);
        h.record(v);
    }
    std::sort(values.begin(), values.end());
    for (double p : {50.0, 90.0, 99.0, 99.9}) {
        auto exact = values[static_cast<std::size_t>(std::ceil(p / 100 * values.size())) - 1];
        auto got = h.percentile(p);
        CHECK(got >= exact);
        CHECK(static_cast<double>(got - exact) <= std::max(1.0, static_cast<double>(exact) / 100.0));
    }
    CHECK(h.percentile(100) == values.back());
}

TEST_CASE("histogram: one slow value is the p99 of few samples, and max is exact") {
    Histogram h;
    for (int i = 0; i < 20; ++i) h.record(1500);
    h.record(10'000'123);  // 10 s
    CHECK(h.percentile(50) >= 1500);
    CHECK(h.percentile(50) <= 1512);
    CHECK(h.percentile(99) == 10'000'123);
    CHECK(h.max() == 10'000'123);
}

TEST_CASE("histogram: negatives count as 0; huge values clamp to the last bucket") {
    Histogram h;
    h.record(-500);
    h.record(7);
    CHECK(h.negatives() == 1);
    CHECK(h.min() == 0);
    CHECK(h.percentile(50) == 0);
    h.record(std::int64_t{1} << 55);
    CHECK(h.max() == std::int64_t{1} << 55);
    CHECK(h.percentile(100) == std::int64_t{1} << 55);
}

TEST_CASE("histogram: merge and reset") {
    Histogram a, b;
    for (int i = 1; i <= 50; ++i) a.record(i);
    for (int i = 51; i <= 100; ++i) b.record(i);
    b.record(-1);
    a.merge(b);
    CHECK(a.count() == 101);
    CHECK(a.negatives() == 1);
    CHECK(a.min() == 0);
    CHECK(a.max() == 100);
    CHECK(a.percentile(50) == 50);
    Histogram empty;
    empty.merge(a);
    CHECK(empty.count() == 101);
    a.reset();
    CHECK(a.count() == 0);
    CHECK(a.percentile(99) == 0);
}

TEST_CASE("nearest rank: ceil(p% of count), at least 1, at most count") {
    CHECK(nearest_rank(50, 0) == 0);
    CHECK(nearest_rank(50, 4) == 2);
    CHECK(nearest_rank(51, 4) == 3);
    CHECK(nearest_rank(0, 4) == 1);
    CHECK(nearest_rank(99, 200) == 198);
    CHECK(nearest_rank(150, 4) == 4);
    CHECK(nearest_rank(-5, 4) == 1);
}

TEST_CASE("percentile of exact values: the value at the nearest rank, in any input order") {
    CHECK(percentile({}, 50) == 0);
    CHECK(percentile({0.3, 0.1, 0.2}, 50) == 0.2);
    CHECK(percentile({0.3, 0.1, 0.2}, 99) == 0.3);
    CHECK(percentile({0.3, 0.1, 0.2}, 0) == 0.1);
}
