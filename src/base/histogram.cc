#include "base/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace rbus {
namespace {

// 2^kBits linear sub-buckets per power of two: values below 2^kBits are exact,
// above that each bucket spans at most 1/2^(kBits-1) of its values.
constexpr int kBits = 8;
constexpr std::int64_t kSub = std::int64_t{1} << kBits;  // 256
constexpr std::int64_t kHalf = kSub / 2;                  // 128
// Values from 2^kTopExponent up (about 12.7 days in microseconds) share the last bucket.
constexpr int kTopExponent = 40;
constexpr std::int64_t kTop = std::int64_t{1} << kTopExponent;

}  // namespace

std::size_t Histogram::bucket_count() {
    return static_cast<std::size_t>(kSub + (kTopExponent - kBits) * kHalf);
}

std::size_t Histogram::bucket_of(std::int64_t value) {
    if (value < 0) value = 0;
    if (value >= kTop) return bucket_count() - 1;
    if (value < kSub) return static_cast<std::size_t>(value);
    int exponent = std::bit_width(static_cast<std::uint64_t>(value)) - 1;  // >= kBits
    int shift = exponent - kBits + 1;
    std::int64_t mantissa = value >> shift;  // in [kHalf, kSub)
    return static_cast<std::size_t>(kSub + (exponent - kBits) * kHalf + (mantissa - kHalf));
}

std::int64_t Histogram::bucket_low(std::size_t bucket) {
    auto b = static_cast<std::int64_t>(bucket);
    if (b < kSub) return b;
    std::int64_t group = (b - kSub) / kHalf;  // exponent - kBits
    std::int64_t mantissa = kHalf + (b - kSub) % kHalf;
    return mantissa << (group + 1);
}

std::int64_t Histogram::bucket_high(std::size_t bucket) {
    auto b = static_cast<std::int64_t>(bucket);
    if (b < kSub) return b;
    std::int64_t group = (b - kSub) / kHalf;
    std::int64_t mantissa = kHalf + (b - kSub) % kHalf;
    return ((mantissa + 1) << (group + 1)) - 1;
}

Histogram::Histogram() : counts_(bucket_count(), 0) {}

void Histogram::record(std::int64_t value) {
    if (value < 0) {
        ++negatives_;
        value = 0;
    }
    ++counts_[bucket_of(value)];
    if (count_ == 0 || value < min_) min_ = value;
    if (count_ == 0 || value > max_) max_ = value;
    ++count_;
    sum_ += static_cast<double>(value);
}

void Histogram::merge(const Histogram& other) {
    if (other.count_ == 0) return;
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    min_ = count_ ? std::min(min_, other.min_) : other.min_;
    max_ = count_ ? std::max(max_, other.max_) : other.max_;
    count_ += other.count_;
    negatives_ += other.negatives_;
    sum_ += other.sum_;
}

void Histogram::reset() {
    std::fill(counts_.begin(), counts_.end(), 0);
    count_ = negatives_ = 0;
    min_ = max_ = 0;
    sum_ = 0;
}

std::uint64_t nearest_rank(double p, std::uint64_t count) {
    if (count == 0) return 0;
    p = std::clamp(p, 0.0, 100.0);
    auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count)));
    return std::clamp<std::uint64_t>(rank, 1, count);
}

double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    return values[nearest_rank(p, values.size()) - 1];
}

std::int64_t Histogram::percentile(double p) const {
    if (count_ == 0) return 0;
    const std::uint64_t rank = nearest_rank(p, count_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        seen += counts_[i];
        if (seen < rank) continue;
        // The last bucket is open-ended: only max() bounds it.
        if (i + 1 == counts_.size()) return max_;
        return std::clamp(bucket_high(i), min_, max_);
    }
    return max_;
}

}  // namespace rbus
