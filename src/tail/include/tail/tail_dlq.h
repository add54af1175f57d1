// rbus-tail --dlq: the dead letters as a person follows them. Live, the
// announcements on sys.dlq.* (RaptorBus's own, and rbus's group consumers',
// which announce in RaptorBus's shape); with --since, first the stored ones of
// both queues (as rbus-subscribe --dlq reads them), oldest failure first, then
// live without a duplicate. One line each: the event's usual tail line at the
// time it failed, the reason before its payload; --json prints what
// rbus-subscribe --dlq prints.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bus/consumer.h"
#include "app/context.h"
#include "bus/dlq_read.h"
#include "event/filter.h"
#include "app/output.h"
#include "tail/tail_format.h"
#include "base/line_appender.h"
#include "tail/tail_summary.h"

namespace rbus {

// The channels dead letters are announced on (SPEC §8), whatever the prefix.
inline constexpr std::string_view kDlqAnnouncePattern = "sys.dlq.*";

// One announcement on sys.dlq.{reason} as an entry (source raptorbus, no key:
// the message does not name its record); the reason from the record, else
// from the channel. Nothing when the message is not a JSON object.
std::optional<DlqEntry> dlq_announcement(std::string_view channel, std::string_view data);

// What one dead letter has in common in its stored and its announced form
// (reason, failure time, event): a stored entry shown first is not shown
// again when its announcement comes.
std::string dlq_identity(const DlqEntry& e);

struct TailDlqStyle {
    bool json = false, color = false, terminal = false, trace = false;
    std::vector<std::string> type_globs;  // TYPE arguments: the event's type
};

// Shows entries that pass the filters: TYPE globs on the event's type, the
// event filters (-w, -c, --where, ...) on the event; an entry without an event
// passes only when there are no event filters.
class DlqView {
public:
    DlqView(TailDlqStyle style, EventFilter filter, StdoutWriter& out, const std::string& record_path);
    // Appends the entry's line (and records its event); true when shown.
    bool show(const DlqEntry& e);
    // Appends a terminal-safe line telling a message that is not a dead letter.
    void invalid(std::string_view channel, std::string_view data);
    void flush();
    const TailSummary& summary() const { return summary_; }
    // The line show() would print (without its newline), or nothing when filtered out.
    std::optional<std::string> line(const DlqEntry& e);

private:
    TailDlqStyle style_;
    EventFilter filter_;
    StdoutWriter& out_;
    std::unique_ptr<TailLineFormatter> line_;
    std::optional<LineAppender> record_;  // --record: each shown envelope as one canonical JSON line
    TailSummary summary_;
    EnvelopeReader reader_;
    std::string recorded_;  // the event of the last line, for --record
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    friend std::string dlq_summary(const DlqView& view, const ConsumeStats& stats, std::string_view filters);
};

// The Ctrl-C summary (tail_summary.h): dead letters by event type and priority.
std::string dlq_summary(const DlqView& view, const ConsumeStats& stats, std::string_view filters);

// The run: stored entries first with --since (--until: only those, then exit
// 0), live announcements after. --count, --timeout, --idle, --ready-file as a
// live tail. Returns the exit code; throws UsageError for --since on a cluster.
int run_tail_dlq(const Context& ctx, DlqView& view, const std::string& since, const std::string& until,
                 const ConsumeOptions& options, ConsumeStats& stats);

}  // namespace rbus
