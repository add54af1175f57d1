// rbus-subscribe --group with patterns: history streams that appear after the
// start (a first event on a new type) are read too. The matching keys are
// found again by SCAN (bounded COUNT) every 2 s, or less often when a scan is
// costly (a big keyspace): at most a tenth of the time goes to scanning.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "redis/transport.h"  // Clock

namespace rbus {

class GroupRescan {
public:
    static constexpr std::chrono::milliseconds kEvery{2000};

    // Without patterns the streams are known from the start: never due.
    explicit GroupRescan(bool patterns) : patterns_(patterns) {}
    bool due(Clock::time_point now) const { return patterns_ && now >= next_; }
    // A scan ran from `started` to `ended`: the next one after kEvery, or ten
    // times the scan's own time when that is longer.
    void scanned(Clock::time_point started, Clock::time_point ended);
    Clock::time_point next() const { return next_; }
    bool patterns() const { return patterns_; }

private:
    bool patterns_;
    Clock::time_point next_{};
};

// The keys of `found` that are not in `known` (both sorted).
std::vector<std::string> new_streams(const std::vector<std::string>& found, const std::vector<std::string>& known);

// Where the group starts on a stream found after the start: every entry of it
// is newer than the consumer, so its beginning ("0"), unless --since placed
// the group (its ID).
std::string start_on_new_stream(std::string_view start_id);

}  // namespace rbus
