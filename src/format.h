// How one received event becomes one line of output.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "envelope.h"
#include "subscriber.h"

namespace rbus {

struct FormatInput {
    const BusMessage& message;
    const Envelope& envelope;
    std::chrono::system_clock::time_point received_at;
};

// A formatter is chosen and compiled once, then applied to every event.
class EventFormatter {
public:
    virtual ~EventFormatter() = default;
    // Appends the line (without its newline) to out.
    virtual void format(const FormatInput& in, std::string& out) const = 0;
};

// The normalised envelope as one JSON line (coloured when asked).
std::unique_ptr<EventFormatter> make_json_formatter(bool color);

struct TailStyle {
    bool color = false;
    int width = 0;  // terminal columns; 0 = never cut
};
// rbus-tail's human line: time, priority, type, workspace, correlation, payload.
std::unique_ptr<EventFormatter> make_tail_formatter(TailStyle style);

// HH:MM:SS.mmm in local time.
std::string local_time_ms(std::chrono::system_clock::time_point t);

}  // namespace rbus
