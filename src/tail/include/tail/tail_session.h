// One rbus-tail run between the consume loop and the person watching: keeps
// what passes the filters, prints it (human line or --json), records it
// (--record), marks reconnects in the stream and counts for the summary.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "bus/consumer.h"
#include "event/filter.h"
#include "event/format.h"
#include "app/output.h"
#include "tail/tail_format.h"
#include "base/line_appender.h"
#include "tail/tail_summary.h"

namespace rbus {

struct TailOptions {
    bool json = false;       // print what rbus-subscribe prints
    bool color = false;
    bool terminal = false;   // stdout is a terminal: fit lines to its width
    bool trace = false;      // --trace: show the time since the flow began
    std::string record;      // --record FILE; empty: none
};

// --trace ID is the correlation filter: it replaces -c / RAPTORBUS_CORRELATION_ID.
// Throws UsageError for an empty ID.
Context context_for_trace(Context ctx, const std::optional<std::string>& trace);

class TailSession {
public:
    // Opens the record file (throws Error naming it).
    TailSession(const TailOptions& options, EventFilter filter, StdoutWriter& out);

    // The handlers for consume(); `stats` is the one consume() fills in.
    ConsumeHandlers handlers(const ConsumeStats& stats);

    // The connection came back: a marker line in the stream (not with --json).
    void reconnected(std::chrono::milliseconds gap);

    // The run is over: on a terminal, the invalid messages not yet mentioned
    // (a notice says at most one a second) get a last line.
    void finish();

    // The Ctrl-C summary (several lines).
    // `filters`: the context filters in force (describe_context_filters).
    std::string summary(const ConsumeStats& stats, std::string_view filters = {}) const;

private:
    bool on_event(const ReceivedEvent& ev);
    void on_burst();
    // On a terminal, a dim line in the stream, at most one a second; else a WARN each.
    void invalid_notice(const ReceivedEvent& ev);

    TailOptions options_;
    EventFilter filter_;
    StdoutWriter& out_;
    std::unique_ptr<EventFormatter> json_;
    std::unique_ptr<TailLineFormatter> line_;
    std::optional<LineAppender> record_;  // --record: each shown envelope as one canonical JSON line (rbus-publish --envelopes replays it, same ids)
    TailSummary summary_;
    const ConsumeStats* stats_ = nullptr;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    std::string buf_;
    std::optional<std::chrono::steady_clock::time_point> last_invalid_notice_;
    std::uint64_t invalid_unsaid_ = 0;  // invalid messages since the last notice
};

// The columns of the terminal on fd, or 0 when it is not one.
int terminal_width(int fd);

}  // namespace rbus
