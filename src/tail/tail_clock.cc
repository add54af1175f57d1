#include "tail/tail_clock.h"

#include <ctime>

namespace rbus {

void LocalClock::append(std::string& out, std::chrono::system_clock::time_point t, bool millis) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    long long secs = ms / 1000, frac = ms % 1000;
    if (frac < 0) secs -= 1, frac += 1000;
    if (!valid_ || secs != second_) {
        std::time_t tt = static_cast<std::time_t>(secs);
        std::tm tm{};
        localtime_r(&tt, &tm);
        const int parts[3] = {tm.tm_hour, tm.tm_min, tm.tm_sec};
        for (int k = 0; k < 3; ++k) {
            hms_[k * 3] = static_cast<char>('0' + parts[k] / 10 % 10);
            hms_[k * 3 + 1] = static_cast<char>('0' + parts[k] % 10);
            if (k < 2) hms_[k * 3 + 2] = ':';
        }
        second_ = secs;
        valid_ = true;
    }
    out.append(hms_, sizeof hms_);
    if (!millis) return;
    const char frac_text[4] = {'.', static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                               static_cast<char>('0' + frac % 10)};
    out.append(frac_text, sizeof frac_text);
}

}  // namespace rbus
