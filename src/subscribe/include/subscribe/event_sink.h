// What rbus-subscribe does with each received message: filter it, report an
// invalid one (--invalid), then print it (--format) or hand it to --exec.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bus/consumer.h"
#include "base/error.h"
#include "subscribe/exec_handler.h"
#include "event/filter.h"
#include "event/format.h"
#include "app/output.h"

namespace rbus {

enum class InvalidPolicy { skip, emit, fail };
// skip|emit|fail; throws UsageError.
InvalidPolicy parse_invalid_policy(std::string_view text);

// An invalid message under --invalid fail: exit 5.
class InvalidMessageError : public Error {
public:
    using Error::Error;
    int exit_code() const override { return kExitInvalidMessage; }
};

struct SinkOptions {
    EventFilter filter;
    std::unique_ptr<EventFormatter> formatter;
    bool raw = false;  // --format raw: an emitted invalid message is its bytes
    InvalidPolicy invalid = InvalidPolicy::skip;
    std::optional<ExecHandler> exec;  // handlers replace printing
    bool exec_fail_fast = false;
};

class EventSink {
public:
    EventSink(SinkOptions options, StdoutWriter& out) : o_(std::move(options)), out_(out) {}

    // For ConsumeHandlers::on_event: true when the event matched the filters.
    // Throws InvalidMessageError (--invalid fail) or Error (--exec-fail-fast).
    bool on_event(const ReceivedEvent& ev);
    void on_burst() { out_.flush(); }
    // Output was dropped (a signal, then a reader that did not read within the grace).
    bool output_given_up() const { return out_.gave_up(); }
    // For ConsumeHandlers::hold_output: the printed output held back, written or dropped.
    std::size_t hold_output(ConsumeHandlers::Held what);
    bool runs_handlers() const { return o_.exec.has_value(); }
    // While an --exec handler runs, `beat` is called every `every` (exec_handler.h).
    void set_handler_heartbeat(std::chrono::milliseconds every, std::function<void()> beat) {
        if (o_.exec) o_.exec->set_heartbeat(every, std::move(beat));
    }

    std::uint64_t invalid() const { return invalid_; }
    std::uint64_t failed() const { return failed_; }
    // The result of the --exec handler that ran for the last event, if one ran
    // (consumer groups acknowledge by it).
    const std::optional<HandlerResult>& last_handler() const { return last_handler_; }

private:
    void handle_invalid(const ReceivedEvent& ev);
    void run_handler(const ReceivedEvent& ev);

    SinkOptions o_;
    StdoutWriter& out_;
    std::string line_;
    std::uint64_t invalid_ = 0, failed_ = 0;
    std::optional<HandlerResult> last_handler_;
};

// --metrics: RaptorBus get_metrics()'s names, one JSON object. `dead_lettered`:
// received events a consumer group moved to the DLQ (neither matched nor filtered).
std::string metrics_json(const ConsumeStats& stats, std::uint64_t invalid, std::uint64_t failed,
                         const std::vector<Subscription>& subs, std::uint64_t dead_lettered = 0);

}  // namespace rbus
