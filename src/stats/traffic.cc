#include "stats/traffic.h"

#include <chrono>


namespace rbus {

TrafficWindow::TrafficWindow(std::optional<std::string> workspace, std::size_t max_bytes)
    : workspace_(std::move(workspace)), max_bytes_(max_bytes) {}

void TrafficWindow::add(std::string_view data, SystemTime received) {
    if (data.size() > max_bytes_) {  // at the message boundary: never parsed
        ++stats_.invalid;
        stats_.invalid_bytes += data.size();
        return;
    }
    const EventRead& r = reader_.read(data);
    if (!r.ok()) {
        ++stats_.invalid;
        stats_.invalid_bytes += data.size();
        return;
    }
    const EventView& e = r.event;
    const std::optional<std::string_view>& ws = e.workspace_id;
    if (workspace_ && (!ws || *ws != *workspace_)) {
        ++stats_.other_workspaces;
        return;
    }
    auto count = [&](FlowCount& c) {
        ++c.events;
        c.bytes += data.size();
    };
    auto in = [](FlowMap& flows, std::string_view label) -> FlowCount& {
        auto it = flows.find(label);
        return it != flows.end() ? it->second : flows.emplace(std::string(label), FlowCount{}).first->second;
    };
    count(stats_.total);
    count(in(stats_.by_type, e.type));
    count(in(stats_.by_priority, e.priority_text));
    count(in(stats_.by_workspace, ws.value_or(kNoWorkspace)));
    std::optional<SystemTime> sent;
    if (e.timestamp) sent = parse_timestamp(*e.timestamp);
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
