// A latency histogram in the HDR style: log-linear buckets, so every recorded
// value is kept to within 1/128 (0.8%) of itself at any magnitude, in a fixed,
// small amount of memory, however many values are recorded.
#pragma once

#include <cstdint>
#include <vector>

namespace rbus {

// The nearest rank (1..count) of percentile p (0..100) among count values,
// p clamped; 0 when count is 0. Both percentiles below take their value there.
std::uint64_t nearest_rank(double p, std::uint64_t count);

// Nearest-rank percentile (p in 0..100) of a few exact values; 0 when empty.
double percentile(std::vector<double> values, double p);

class Histogram {
public:
    Histogram();

    // Records one value (e.g. microseconds). A negative value is recorded as 0
    // and counted in negatives(): for lags, a clock that runs ahead.
    void record(std::int64_t value);
    // Adds every value recorded in other.
    void merge(const Histogram& other);
    void reset();

    std::uint64_t count() const { return count_; }
    std::uint64_t negatives() const { return negatives_; }
    std::int64_t min() const { return count_ ? min_ : 0; }
    std::int64_t max() const { return count_ ? max_ : 0; }
    double sum() const { return sum_; }
    double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0; }

    // Nearest-rank percentile (p in 0..100): the highest value equivalent to the
    // bucket holding that rank, never above max(); 0 when empty. Exact below 256.
    std::int64_t percentile(double p) const;

    // Bucket arithmetic, public for tests: the bucket of a value and the lowest
    // and highest values that share it.
    static std::size_t bucket_of(std::int64_t value);
    static std::int64_t bucket_low(std::size_t bucket);
    static std::int64_t bucket_high(std::size_t bucket);
    static std::size_t bucket_count();

private:
    std::vector<std::uint64_t> counts_;
    std::uint64_t count_ = 0, negatives_ = 0;
    std::int64_t min_ = 0, max_ = 0;
    double sum_ = 0;
};

}  // namespace rbus
