#include "tail/tail_format.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <ctime>
#include <vector>

#include <fmt/format.h>

#include "base/color.h"
#include "base/text_width.h"
#include "base/timestamp.h"

namespace rbus {
namespace {

constexpr std::string_view kDim = sgr::dim;
constexpr std::string_view kBold = sgr::bold;
constexpr std::string_view kAlarm = sgr::bold_red;
constexpr std::string_view kHigh = sgr::yellow;
// Six colours that stay apart on dark and light backgrounds; red is kept for alarms.
constexpr std::array<std::string_view, 6> kPalette{"36", "32", "33", "35", "94", "95"};
// The narrowest terminal for each level of build(): full, short ids, no
// workspace, no correlation column; below the last one the seconds lose their
// milliseconds. By width alone, so that every line of a run has the same columns.
// Full ids (a UUID correlation id is 36 columns) only from 160 columns: below,
// the ids are shortened before the payload is squeezed out.
constexpr std::array<int, 4> kLevelMinWidth{160, 90, 70, 50};
// On a terminal the type column is padded to this, so that ws= and corr= line
// up; a longer type pushes them right on its own line only. Piped lines keep
// the exact format (one space pair), for grep.
constexpr int kTypeColumns = 24;

int level_for_width(int width) {
    if (width <= 0) return 0;
    int level = 0;
    while (level < static_cast<int>(kLevelMinWidth.size()) && width < kLevelMinWidth[static_cast<std::size_t>(level)])
        ++level;
    return level;
}

struct Segment {
    std::string text;
    std::string_view sgr;  // empty: no colour
};

class Line {
public:
    void add(std::string text, std::string_view sgr = {}) { segs_.push_back({std::move(text), sgr}); }
    int width() const {
        int w = 0;
        for (const Segment& s : segs_) w += display_width(s.text);
        return w;
    }
    // Appends the line, cut to `max` columns when max > 0.
    void render(bool color, int max, std::string& out) const {
        int used = 0;
        for (const Segment& s : segs_) {
            std::string cut;
            const std::string* text = &s.text;
            bool last = false;
            if (max > 0) {
                int w = display_width(s.text);
                if (used + w > max) {
                    cut = cut_to_columns(s.text, max - used);
                    text = &cut;
                    last = true;
                }
                used += w;
            }
            append_sgr(out, color && !text->empty() ? s.sgr : std::string_view(), *text);
            if (last) break;
        }
    }

private:
    std::vector<Segment> segs_;
};

std::string pad(std::string s, int columns) {
    int w = display_width(s);
    if (w < columns) s.append(static_cast<std::size_t>(columns - w), ' ');
    return s;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view priority_color(std::string_view prio) {
    if (prio == "critical") return kAlarm;
    if (prio == "high") return kHigh;
    if (prio == "low") return kDim;
    return {};
}

std::string short_priority(const std::string& prio) {
    if (prio == "critical") return "crit";
    if (prio == "normal") return "norm";
    return std::string(fit_columns(prio, 4));
}

// What one event shows, sanitised for the terminal.
struct Fields {
    std::chrono::system_clock::time_point when;
    std::string prio, type, ws, corr, delta, payload;
    bool has_corr = false, alarming = false;
};

std::chrono::system_clock::time_point event_time(const FormatInput& in) {
    if (in.event.timestamp)
        if (auto parsed = parse_timestamp(*in.event.timestamp)) return *parsed;
    return in.received_at;
}

std::string trace_delta(std::chrono::system_clock::time_point when,
                        std::optional<std::chrono::system_clock::time_point>& first) {
    if (!first) first = when;
    double secs = std::chrono::duration<double>(when - *first).count();
    return fmt::format("{:+.3f}s", secs);
}

Fields fields(const FormatInput& in, bool trace,
              std::optional<std::chrono::system_clock::time_point>& first) {
    const EventView& e = in.event;
    Fields f;
    f.when = event_time(in);
    f.prio = e.priority_text.empty() ? std::string(1, '-') : terminal_safe(e.priority_text);
    f.type = terminal_safe(e.type);
    f.ws = e.workspace_id ? terminal_safe(*e.workspace_id) : "-";
    f.has_corr = e.request_id.has_value();
    f.corr = f.has_corr ? terminal_safe(*e.request_id) : "-";
    f.payload = terminal_safe(e.payload);
    f.alarming = is_alarming(f.prio, f.type);
    if (trace) f.delta = trace_delta(f.when, first);
    return f;
}

// The columns before the payload, giving up more as the level rises.
Line build(const Fields& f, int level, bool terminal, LocalClock& clock) {
    Line l;
    std::string_view corr_color = f.has_corr ? correlation_color(f.corr) : kDim;
    std::string time;
    clock.append(time, f.when, level < 4);
    l.add(std::move(time), level >= 3 && f.has_corr ? corr_color : kDim);
    l.add(" ");
    l.add(level >= 2 ? pad(short_priority(f.prio), 4) : pad(f.prio, 8), priority_color(f.prio));
    l.add(" ");
    l.add(f.type, f.alarming ? kAlarm : kBold);
    if (int w = display_width(f.type); terminal && level < 2 && w < kTypeColumns)
        l.add(std::string(static_cast<std::size_t>(kTypeColumns - w), ' '));
    if (level < 2) {
        l.add("  ");
        l.add("ws=", kDim);
        l.add(level >= 1 ? cut_to_columns(f.ws, 12) : f.ws, f.ws == "-" ? kDim : std::string_view{});
    }
    if (level < 3) {
        l.add(level < 2 ? " " : "  ");
        l.add("corr=", kDim);
        l.add(level >= 1 ? cut_to_columns(f.corr, 9) : f.corr, corr_color);
    }
    if (!f.delta.empty()) {
        l.add(" ");
        l.add(f.delta);
    }
    l.add("  ");
    return l;
}

}  // namespace

void TailLineFormatter::format_noted(const FormatInput& in, std::string_view note, std::string& out) const {
    if (style_.width == 0 && !style_.color) return format_plain(in, note, out);
    Fields f = fields(in, style_.trace, first_);
    Line head = build(f, level_for_width(style_.width), style_.width > 0, clock_);
    if (!note.empty()) {
        head.add(std::string(note), kAlarm);
        head.add("  ");
    }
    if (style_.width > 0) {
        int room = style_.width - head.width();
        if (room > 0) head.add(cut_to_columns(f.payload, room));
    } else {
        head.add(f.payload);
    }
    head.render(style_.color, style_.width, out);
}

// The same bytes as build() and render() give at width 0 without colour, with
// no string per field: each field is escaped straight into out.
void TailLineFormatter::format_plain(const FormatInput& in, std::string_view note, std::string& out) const {
    const EventView& e = in.event;
    const auto when = event_time(in);
    clock_.append(out, when);
    out += ' ';
    const std::size_t prio_at = out.size();
    if (e.priority_text.empty()) out += '-';
    else append_terminal_safe(out, e.priority_text);
    if (int w = display_width(std::string_view(out).substr(prio_at)); w < 8)
        out.append(static_cast<std::size_t>(8 - w), ' ');
    out += ' ';
    append_terminal_safe(out, e.type);
    out += "  ws=";
    if (e.workspace_id) append_terminal_safe(out, *e.workspace_id);
    else out += '-';
    out += " corr=";
    if (e.request_id) append_terminal_safe(out, *e.request_id);
    else out += '-';
    if (style_.trace) {
        out += ' ';
        out += trace_delta(when, first_);
    }
    out += "  ";
    if (!note.empty()) {
        out += note;
        out += "  ";
    }
    append_terminal_safe(out, e.payload);
}

std::unique_ptr<TailLineFormatter> make_tail_line_formatter(TailLineStyle style) {
    return std::make_unique<TailLineFormatter>(style);
}

std::string_view correlation_color(std::string_view id) {
    std::uint32_t h = 2166136261u;
    for (unsigned char c : id) {
        h ^= c;
        h *= 16777619u;
    }
    return kPalette[h % kPalette.size()];
}

bool is_alarming(std::string_view priority, std::string_view type) {
    if (priority == "critical") return true;
    // The last word of the type: "error", "failed", or ending in _error, -failed...
    std::string_view last = type.substr(type.rfind('.') == std::string_view::npos ? 0 : type.rfind('.') + 1);
    for (std::string_view word : {"error", "failed"}) {
        if (last == word) return true;
        if (ends_with(last, word) && last.size() > word.size()) {
            char sep = last[last.size() - word.size() - 1];
            if (sep == '_' || sep == '-') return true;
        }
    }
    return false;
}

std::string local_clock(std::chrono::system_clock::time_point t, bool millis) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    long long secs = ms / 1000, frac = ms % 1000;
    if (frac < 0) secs -= 1, frac += 1000;
    std::time_t tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    localtime_r(&tt, &tm);
    if (!millis) return fmt::format("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec);
    return fmt::format("{:02}:{:02}:{:02}.{:03}", tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

std::string tail_marker_line(std::string_view text, const TailLineStyle& style) {
    std::string safe = terminal_safe(text);
    if (style.width > 0) safe = cut_to_columns(safe, style.width);
    if (!style.color) return safe;
    return sgr_text(kDim, safe);
}

}  // namespace rbus
