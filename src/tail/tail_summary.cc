#include "tail/tail_summary.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "base/duration.h"
#include "base/text_width.h"

namespace rbus {
namespace {

void bump(std::map<std::string, std::uint64_t, std::less<>>& m, std::string_view key) {
    auto it = m.find(key);
    if (it == m.end()) it = m.emplace(std::string(key), 0).first;
    ++it->second;
}

std::string plural(std::uint64_t n, std::string_view one, std::string_view many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

void TailSummary::shown(std::string_view type, std::string_view priority) {
    ++shown_;
    bump(by_type_, type);
    bump(by_priority_, priority);
}

std::string TailSummary::render(const Totals& t) const {
    std::uint64_t filtered = t.received >= shown_ + invalid_ ? t.received - shown_ - invalid_ : 0;
    std::string out = fmt::format("rbus-tail: {} in {} ({} received, {} filtered out, {} invalid, {})\n",
                                  plural(shown_, "event", "events"), format_duration(t.elapsed), t.received,
                                  filtered, invalid_, plural(t.reconnects, "reconnect", "reconnects"));
    if (!t.filters.empty()) out += fmt::format("filtered by: {}\n", t.filters);
    if (shown_ == 0) return out;

    // Priorities from the most urgent down; names outside the four last, as received.
    std::vector<std::string> prio;
    for (std::string_view name : {"critical", "high", "normal", "low"})
        if (auto it = by_priority_.find(name); it != by_priority_.end())
            prio.push_back(fmt::format("{} {}", name, it->second));
    for (const auto& [name, n] : by_priority_)
        if (name != "critical" && name != "high" && name != "normal" && name != "low")
            prio.push_back(fmt::format("{} {}", terminal_safe(name.empty() ? "-" : name), n));
    out += fmt::format("by priority: {}\n", fmt::join(prio, ", "));

    std::vector<std::pair<std::string_view, std::uint64_t>> types(by_type_.begin(), by_type_.end());
    std::stable_sort(types.begin(), types.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    int digits = static_cast<int>(fmt::formatted_size("{}", types.front().second));
    out += "by type:\n";
    for (std::size_t i = 0; i < types.size() && i < kMaxTypes; ++i)
        out += fmt::format("  {:>{}}  {}\n", types[i].second, digits, terminal_safe(types[i].first));
    if (types.size() > kMaxTypes) {
        std::uint64_t rest = 0;
        for (std::size_t i = kMaxTypes; i < types.size(); ++i) rest += types[i].second;
        out += fmt::format("  {:>{}}  ({} more types)\n", rest, digits, types.size() - kMaxTypes);
    }
    return out;
}

}  // namespace rbus
