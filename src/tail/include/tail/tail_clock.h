// rbus-tail's clock column for many lines: the local time of day, worked out
// (localtime_r) once per distinct second and reused for every line in it.
#pragma once

#include <chrono>
#include <string>

namespace rbus {

class LocalClock {
public:
    // Appends HH:MM:SS.mmm (millis) or HH:MM:SS in local time: the same text as
    // local_clock() (tail_format.h) for every time, in every time zone. A time
    // zone's offset changes only on a whole second, so the time of day of one
    // second, once known, holds for each millisecond of it.
    void append(std::string& out, std::chrono::system_clock::time_point t, bool millis = true);

private:
    long long second_ = 0;
    bool valid_ = false;
    char hms_[8] = {};  // "HH:MM:SS" of second_
};

}  // namespace rbus
