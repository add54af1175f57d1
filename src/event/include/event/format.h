// How one received event becomes one line of output.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "event/event_read.h"
#include "redis/bus_message.h"

namespace rbus {

struct FormatInput {
    const BusMessage& message;
    const EventView& event;  // the normalised envelope (event_read.h)
    std::chrono::system_clock::time_point received_at;
};

// A formatter is chosen and compiled once, then applied to every event.
class EventFormatter {
public:
    virtual ~EventFormatter() = default;
    // Appends the line (without its newline) to out.
    virtual void format(const FormatInput& in, std::string& out) const = 0;
};

// `terminal` (implied by `color`): C1 controls and bidi characters in strings are
// written as \uXXXX (json_terminal_safe), the same JSON value, harmless to read.
// The normalised envelope as one JSON line (coloured when asked).
std::unique_ptr<EventFormatter> make_json_formatter(bool color, bool terminal = false);
// The normalised envelope as indented JSON over several lines.
std::unique_ptr<EventFormatter> make_pretty_formatter(bool color, bool terminal = false);
// Only the payload, as one compact JSON line.
std::unique_ptr<EventFormatter> make_payload_formatter(bool color, bool terminal = false);
// The message's bytes exactly as received.
std::unique_ptr<EventFormatter> make_raw_formatter();

// --format: json|payload|pretty|raw, or a TEMPLATE (any value containing '{',
// see template.h). Compiled once; throws UsageError for anything else.
std::unique_ptr<EventFormatter> make_formatter(std::string_view spec, bool color, bool terminal = false);
inline bool is_raw_format(std::string_view spec) { return spec == "raw"; }

// What --invalid emit prints for a message that is not an envelope:
// {"invalid":true,"channel":…,"raw":…,"error":…} (bytes that are not UTF-8 replaced by U+FFFD).
std::string invalid_record(std::string_view channel, std::string_view raw, std::string_view error);

}  // namespace rbus
