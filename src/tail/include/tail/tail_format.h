// rbus-tail's line for a person following the bus: time, priority, type,
// workspace, correlation id, compact payload; coloured and fitted to the
// terminal when it prints to one.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "event/format.h"
#include "tail/tail_clock.h"

namespace rbus {

struct TailLineStyle {
    bool color = false;
    int width = 0;       // the terminal's columns; 0 (piped): the full line, never cut
    bool trace = false;  // --trace: add the time since the flow's first event
};

// Piped (width 0, no colour), exactly:
//   HH:MM:SS.mmm <priority padded to 8> <type>  ws=<ws|-> corr=<corr|->  <payload>
// with --trace, " +S.mmms" after the correlation id. The time is the envelope's
// timestamp (the time of receipt when it has none) in local time.
//
// On a terminal the line never wraps. Its columns depend on the width alone,
// so that every line of a run looks alike: from 120 columns the full line;
// from 90 long ids are shortened (ws to 12 columns, corr to 9); from 70 the
// workspace column goes and priorities are four letters (crit, norm); from 50
// the correlation column goes (its colour goes to the time); below 50 the time
// loses its milliseconds. The payload gets what is left, and whatever still does
// not fit is cut with "…". Widths are display columns (UTF-8 aware).
//
// Colours: critical priority and error types (see is_alarming) bold red; high
// yellow; low dim; each correlation id one colour of a fixed palette.
class TailLineFormatter : public EventFormatter {
public:
    explicit TailLineFormatter(TailLineStyle style) : style_(style) {}
    void format(const FormatInput& in, std::string& out) const override { format_noted(in, {}, out); }
    // The same line with `note` (terminal-safe already) in the alarm colour
    // before the payload: why rbus-tail --dlq shows the event.
    void format_noted(const FormatInput& in, std::string_view note, std::string& out) const;
    // The terminal was resized: lines from now on fit the new width.
    void set_width(int columns) { style_.width = columns; }
    const TailLineStyle& style() const { return style_; }

private:
    // Piped without colour (the line for grep and scripts): written straight into out.
    void format_plain(const FormatInput& in, std::string_view note, std::string& out) const;

    TailLineStyle style_;
    mutable std::optional<std::chrono::system_clock::time_point> first_;  // --trace: the flow's start
    mutable LocalClock clock_;
};
std::unique_ptr<TailLineFormatter> make_tail_line_formatter(TailLineStyle style);

// The SGR colour of a correlation id: FNV-1a of its bytes into a palette of six
// colours, the same in every run and on every machine ("36", "32", ...).
std::string_view correlation_color(std::string_view id);

// True for what must stand out: priority critical, or a type whose last word is
// error or failed, alone or after _ or - (agent.error, agent.task_failed).
bool is_alarming(std::string_view priority, std::string_view type);

// HH:MM:SS.mmm (or HH:MM:SS) in local time (one call; LocalClock for many lines).
std::string local_clock(std::chrono::system_clock::time_point t, bool millis = true);

// A line that is about the stream, not an event ("-- reconnected ... --"):
// dim in colour, cut to the width like event lines.
std::string tail_marker_line(std::string_view text, const TailLineStyle& style);

}  // namespace rbus
