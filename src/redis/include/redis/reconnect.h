// When to try again after the bus connection is lost: capped exponential
// backoff with full jitter, so that many consumers of one restarted server do
// not reconnect in lockstep. Pure arithmetic over an injectable random source,
// so it is unit-tested without a server.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace rbus {

class ReconnectPolicy {
public:
    struct Backoff {
        std::chrono::milliseconds initial{100};  // ceiling of the first delay
        std::chrono::milliseconds cap{5000};     // no ceiling grows past this
        double factor = 2.0;                     // ceiling growth per failed attempt
    };
    // Returns a uniform value in [0, 1).
    using Random = std::function<double()>;

    ReconnectPolicy();  // default backoff, random from the system's entropy
    explicit ReconnectPolicy(Backoff backoff, Random random = {});

    // The delay before the next attempt: uniform in [0, ceiling], where the
    // ceiling is initial × factor^attempts, at most cap. Counts the attempt.
    std::chrono::milliseconds next_delay();
    // The ceiling the next call to next_delay() draws below.
    std::chrono::milliseconds ceiling() const;
    // After a successful reconnect: start again from the initial ceiling.
    void reset() { attempts_ = 0; }
    std::uint32_t attempts() const { return attempts_; }

private:
    Backoff backoff_;
    Random random_;
    std::uint32_t attempts_ = 0;
};

}  // namespace rbus
