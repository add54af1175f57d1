#include "tail/tail_session.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/duration.h"
#include "base/error.h"
#include "base/log.h"
#include "base/text_width.h"

namespace rbus {

Context context_for_trace(Context ctx, const std::optional<std::string>& trace) {
    if (!trace) return ctx;
    if (trace->empty()) throw UsageError("--trace needs a correlation id");
    ctx.correlation_id = *trace;
    return ctx;
}

int terminal_width(int fd) {
    winsize ws{};
    if (::isatty(fd) == 1 && ::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 0;
}

TailSession::TailSession(const TailOptions& options, EventFilter filter, StdoutWriter& out)
    : options_(options), filter_(std::move(filter)), out_(out) {
    if (options_.json) {
        json_ = make_json_formatter(options_.color, options_.terminal);
    } else {
        TailLineStyle style;
        style.color = options_.color;
        style.width = options_.terminal ? terminal_width(STDOUT_FILENO) : 0;
        style.trace = options_.trace;
        line_ = make_tail_line_formatter(style);
    }
    if (!options_.record.empty()) record_.emplace(options_.record, "record file");
}

ConsumeHandlers TailSession::handlers(const ConsumeStats& stats) {
    stats_ = &stats;
    ConsumeHandlers h;
    h.on_event = [this](const ReceivedEvent& ev) { return on_event(ev); };
    h.on_burst = [this] { on_burst(); };
    h.on_reconnect = [this](std::chrono::milliseconds gap) { reconnected(gap); };
    return h;
}

bool TailSession::on_event(const ReceivedEvent& ev) {
    if (!ev.read.ok()) {
        summary_.invalid();
        invalid_notice(ev);
        return false;
    }
    const EventView& e = ev.read.event;
    if (!filter_.matches(e)) return false;
    buf_.clear();
    FormatInput in{ev.message, e, ev.received_wall};
    if (json_) {
        json_->format(in, buf_);
    } else {
        line_->format(in, buf_);
    }
    out_.line(buf_);
    if (record_) record_->append(e.text);
    summary_.shown(e.type, e.priority_text);
    return true;
}

void TailSession::invalid_notice(const ReceivedEvent& ev) {
    if (!line_ || !options_.terminal) {  // piped or --json: stdout stays the events, one WARN each
        logger().warn("skipped invalid message on {}: {}", ev.message.channel, ev.read.error);
        return;
    }
    auto now = std::chrono::steady_clock::now();
    if (last_invalid_notice_ && now - *last_invalid_notice_ < std::chrono::seconds(1)) {
        ++invalid_unsaid_;
        return;
    }
    last_invalid_notice_ = now;
    std::string more = invalid_unsaid_ ? fmt::format(" (and {} more before it)", invalid_unsaid_) : "";
    invalid_unsaid_ = 0;
    std::string_view data = ev.message.data.substr(0, 40);
    std::string text = fmt::format("skipped invalid message on {}: {}{} ({}){}", terminal_safe(ev.message.channel),
                                   terminal_safe(data), ev.message.data.size() > 40 ? "..." : "",
                                   terminal_safe(ev.read.error), more);
    out_.line(tail_marker_line("-- " + text + " --", line_->style()));
}

void TailSession::finish() {
    if (!line_ || invalid_unsaid_ == 0) return;
    out_.line(tail_marker_line(fmt::format("-- and {} more invalid message{} skipped --", invalid_unsaid_,
                                           invalid_unsaid_ == 1 ? "" : "s"),
                               line_->style()));
    invalid_unsaid_ = 0;
    out_.flush();
}

void TailSession::on_burst() {
    out_.flush();
    if (record_) record_->flush();
    if (line_ && options_.terminal) line_->set_width(terminal_width(STDOUT_FILENO));
}

void TailSession::reconnected(std::chrono::milliseconds gap) {
    if (!line_) return;  // --json: stdout stays exactly what rbus-subscribe prints
    // On one terminal the WARN line already said it: one notice, not two.
    if (options_.terminal && ::isatty(STDERR_FILENO) == 1 && logger().enabled(LogLevel::warn)) return;
    std::string text =
        fmt::format("-- reconnected after {}; events published meanwhile were not received --", format_duration(gap));
    out_.line(tail_marker_line(text, line_->style()));
}

std::string TailSession::summary(const ConsumeStats& stats, std::string_view filters) const {
    TailSummary::Totals t;
    t.filters = std::string(filters);
    t.received = stats.received;
    t.reconnects = stats.reconnects;
    t.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_);
    return summary_.render(t);
}

}  // namespace rbus
