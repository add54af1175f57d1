#include "redis/reconnect.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

namespace rbus {
namespace {

ReconnectPolicy::Random system_random() {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

}  // namespace

ReconnectPolicy::ReconnectPolicy() : ReconnectPolicy(Backoff{}) {}

ReconnectPolicy::ReconnectPolicy(Backoff backoff, Random random)
    : backoff_(backoff), random_(random ? std::move(random) : system_random()) {}

std::chrono::milliseconds ReconnectPolicy::ceiling() const {
    double cap = static_cast<double>(backoff_.cap.count());
    double grown = static_cast<double>(backoff_.initial.count()) *
                   std::pow(backoff_.factor, static_cast<double>(std::min<std::uint32_t>(attempts_, 64)));
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(cap, grown)));
}

std::chrono::milliseconds ReconnectPolicy::next_delay() {
    auto top = ceiling();
    ++attempts_;
    double r = std::clamp(random_(), 0.0, 1.0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(r * static_cast<double>(top.count()))));
}

}  // namespace rbus
