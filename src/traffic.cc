#include "traffic.h"

#include <chrono>

#include "envelope.h"

namespace rbus {

TrafficWindow::TrafficWindow(std::optional<std::string> workspace, std::size_t max_bytes)
    : workspace_(std::move(workspace)), max_bytes_(max_bytes) {}

void TrafficWindow::add(std::string_view data, SystemTime received) {
    if (data.size() > max_bytes_) {  // at the message boundary: never parsed
        ++stats_.invalid;
        stats_.invalid_bytes += data.size();
        return;
    }
    ReadResult r = read_envelope(data);
    if (!r.ok()) {
        ++stats_.invalid;
        stats_.invalid_bytes += data.size();
        return;
    }
    const Envelope& e = *r.envelope;
    const std::string* ws = e.workspace_id();
    if (workspace_ && (!ws || *ws != *workspace_)) {
        ++stats_.other_workspaces;
        return;
    }
    auto count = [&](FlowCount& c) {
        ++c.events;
        c.bytes += data.size();
    };
    count(stats_.total);
    count(stats_.by_type[std::string(e.type())]);
    count(stats_.by_priority[std::string(e.priority_text())]);
    count(stats_.by_workspace[ws ? *ws : std::string(kNoWorkspace)]);
    std::optional<SystemTime> sent;
    if (const std::string* ts = e.timestamp()) sent = parse_timestamp(*ts);
    if (!sent) {
        ++stats_.no_timestamp;
        return;
    }
    stats_.lag_us.record(std::chrono::duration_cast<std::chrono::microseconds>(received - *sent).count());
}

TrafficStats TrafficWindow::stats(double seconds) const {
    TrafficStats s = stats_;
    s.seconds = seconds;
    return s;
}

void TrafficWindow::reset() { stats_ = TrafficStats{}; }

}  // namespace rbus
