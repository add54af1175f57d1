#include "format.h"

#include <ctime>

#include <fmt/format.h>
#include <rang.hpp>
#include <sstream>

#include "error.h"
#include "output.h"
#include "template.h"
#include "timestamp.h"

namespace rbus {
namespace {

class JsonFormatter : public EventFormatter {
public:
    explicit JsonFormatter(bool color) : color_(color) {}
    void format(const FormatInput& in, std::string& out) const override {
        out += color_ ? colorize_json(in.envelope.json()) : in.envelope.dump();
    }
    bool prints_canonical_as_received() const override { return !color_; }

private:
    bool color_;
};

// Indented JSON; colours as colorize_json's (keys blue, strings green,
// literals magenta, numbers cyan).
void pretty(std::string& out, const Json& v, bool color, int depth) {
    auto paint = [&](const char* code, const std::string& text) {
        if (color) out += code;
        out += text;
        if (color) out += "\x1b[0m";
    };
    auto indent = [&](int d) { out.append(static_cast<std::size_t>(d) * 2, ' '); };
    auto dump = [](const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); };
    if (v.is_object() && !v.empty()) {
        out += "{\n";
        bool first = true;
        for (auto it = v.begin(); it != v.end(); ++it) {
            if (!first) out += ",\n";
            first = false;
            indent(depth + 1);
            paint("\x1b[34m", dump(Json(it.key())));
            out += ": ";
            pretty(out, it.value(), color, depth + 1);
        }
        out += '\n';
        indent(depth);
        out += '}';
    } else if (v.is_array() && !v.empty()) {
        out += "[\n";
        bool first = true;
        for (const auto& e : v) {
            if (!first) out += ",\n";
            first = false;
            indent(depth + 1);
            pretty(out, e, color, depth + 1);
        }
        out += '\n';
        indent(depth);
        out += ']';
    } else if (v.is_string()) {
        paint("\x1b[32m", dump(v));
    } else if (v.is_null() || v.is_boolean()) {
        paint("\x1b[35m", dump(v));
    } else if (v.is_number()) {
        paint("\x1b[36m", dump(v));
    } else {
        out += dump(v);  // empty object or array
    }
}

class PrettyFormatter : public EventFormatter {
public:
    explicit PrettyFormatter(bool color) : color_(color) {}
    void format(const FormatInput& in, std::string& out) const override { pretty(out, in.envelope.json(), color_, 0); }

private:
    bool color_;
};

class PayloadFormatter : public EventFormatter {
public:
    explicit PayloadFormatter(bool color) : color_(color) {}
    void format(const FormatInput& in, std::string& out) const override {
        const Json& p = in.envelope.payload();
        out += color_ ? colorize_json(p) : p.dump(-1, ' ', false, Json::error_handler_t::replace);
    }

private:
    bool color_;
};

class RawFormatter : public EventFormatter {
public:
    void format(const FormatInput& in, std::string& out) const override { out += in.message.data; }
    bool prints_canonical_as_received() const override { return true; }
};

std::string ansi(rang::fg colour) {
    std::ostringstream os;
    rang::setControlMode(rang::control::Force);
    os << colour;
    return os.str();
}
std::string ansi(rang::style s) {
    std::ostringstream os;
    rang::setControlMode(rang::control::Force);
    os << s;
    return os.str();
}

class TailFormatter : public EventFormatter {
public:
    explicit TailFormatter(TailStyle style) : style_(style) {}

    void format(const FormatInput& in, std::string& out) const override {
        const Envelope& e = in.envelope;
        auto when = in.received_at;
        if (const std::string* ts = e.timestamp())
            if (auto parsed = parse_timestamp(*ts)) when = *parsed;
        std::string prio(e.priority_text());
        std::string type(e.type());
        std::string ws = e.workspace_id() ? *e.workspace_id() : "-";
        std::string corr = e.request_id() ? *e.request_id() : "-";
        std::string payload = e.payload().dump(-1, ' ', false, Json::error_handler_t::replace);
        bool alarming = prio == "critical" || ends_with(type, ".error") || ends_with(type, ".failed");

        std::string head = fmt::format("{} {:<8} {}  ws={} corr={}  ", local_time_ms(when), prio, type, ws, corr);
        if (style_.width > 0) {
            int room = style_.width - static_cast<int>(head.size());
            if (room < 8) room = 8;
            if (static_cast<int>(payload.size()) > room) payload = payload.substr(0, static_cast<std::size_t>(room - 1)) + "…";
        }
        if (!style_.color) {
            out += head;
            out += payload;
            return;
        }
        std::string reset = ansi(rang::style::reset);
        out += ansi(rang::style::dim) + local_time_ms(when) + reset + ' ';
        out += (alarming ? ansi(rang::fg::red) + ansi(rang::style::bold) : ansi(rang::fg::yellow));
        out += fmt::format("{:<8}", prio) + reset + ' ';
        out += (alarming ? ansi(rang::fg::red) + ansi(rang::style::bold) : ansi(rang::style::bold)) + type + reset;
        out += fmt::format("  ws={} corr={}  ", ws, corr);
        out += payload;
    }

private:
    static bool ends_with(const std::string& s, std::string_view suffix) {
        return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
    }
    TailStyle style_;
};

}  // namespace

std::unique_ptr<EventFormatter> make_json_formatter(bool color) { return std::make_unique<JsonFormatter>(color); }

std::unique_ptr<EventFormatter> make_pretty_formatter(bool color) { return std::make_unique<PrettyFormatter>(color); }

std::unique_ptr<EventFormatter> make_payload_formatter(bool color) { return std::make_unique<PayloadFormatter>(color); }

std::unique_ptr<EventFormatter> make_raw_formatter() { return std::make_unique<RawFormatter>(); }

std::unique_ptr<EventFormatter> make_formatter(std::string_view spec, bool color) {
    if (spec == "json") return make_json_formatter(color);
    if (spec == "pretty") return make_pretty_formatter(color);
    if (spec == "payload") return make_payload_formatter(color);
    if (spec == "raw") return make_raw_formatter();
    if (spec.find('{') != std::string_view::npos) return compile_template(spec);
    throw UsageError(fmt::format("invalid --format \"{}\": use json, payload, pretty, raw or a template such as '{{type}} {{id}}'",
                                 spec));
}

std::string invalid_record(std::string_view channel, std::string_view raw, std::string_view error) {
    Json j = Json::object();
    j["invalid"] = true;
    j["channel"] = std::string(channel);
    j["raw"] = std::string(raw);
    j["error"] = std::string(error);
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::unique_ptr<EventFormatter> make_tail_formatter(TailStyle style) { return std::make_unique<TailFormatter>(style); }

std::string local_time_ms(std::chrono::system_clock::time_point t) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    localtime_r(&secs, &tm);
    return fmt::format("{:02}:{:02}:{:02}.{:03}", tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

}  // namespace rbus
