#include "format.h"

#include <fmt/format.h>

#include "error.h"
#include "output.h"
#include "safe_text.h"
#include "template.h"

namespace rbus {
namespace {

class JsonFormatter : public EventFormatter {
public:
    JsonFormatter(bool color, bool terminal) : color_(color), terminal_(terminal) {}
    void format(const FormatInput& in, std::string& out) const override {
        if (color_) out += colorize_json(in.envelope.json());  // escapes hidden controls itself
        else if (terminal_) out += json_terminal_safe(in.envelope.dump());
        else out += in.envelope.dump();
    }
    bool prints_canonical_as_received() const override { return !color_ && !terminal_; }

private:
    bool color_, terminal_;
};

// Indented JSON; colours as colorize_json's (keys blue, strings green,
// literals magenta, numbers cyan).
void pretty(std::string& out, const Json& v, bool color, bool terminal, int depth) {
    auto paint = [&](const char* code, const std::string& text) {
        if (color) out += code;
        out += text;
        if (color) out += "\x1b[0m";
    };
    auto indent = [&](int d) { out.append(static_cast<std::size_t>(d) * 2, ' '); };
    auto dump = [terminal](const Json& j) {
        std::string text = j.dump(-1, ' ', false, Json::error_handler_t::replace);
        return terminal ? json_terminal_safe(text) : text;
    };
    if (v.is_object() && !v.empty()) {
        out += "{\n";
        bool first = true;
        for (auto it = v.begin(); it != v.end(); ++it) {
            if (!first) out += ",\n";
            first = false;
            indent(depth + 1);
            paint("\x1b[34m", dump(Json(it.key())));
            out += ": ";
            pretty(out, it.value(), color, terminal, depth + 1);
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
            pretty(out, e, color, terminal, depth + 1);
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
    PrettyFormatter(bool color, bool terminal) : color_(color), terminal_(terminal) {}
    void format(const FormatInput& in, std::string& out) const override {
        pretty(out, in.envelope.json(), color_, terminal_, 0);
    }

private:
    bool color_, terminal_;
};

class PayloadFormatter : public EventFormatter {
public:
    PayloadFormatter(bool color, bool terminal) : color_(color), terminal_(terminal) {}
    void format(const FormatInput& in, std::string& out) const override {
        const Json& p = in.envelope.payload();
        if (color_) out += colorize_json(p);
        else if (terminal_) out += json_terminal_safe(p.dump(-1, ' ', false, Json::error_handler_t::replace));
        else out += p.dump(-1, ' ', false, Json::error_handler_t::replace);
    }

private:
    bool color_, terminal_;
};

class RawFormatter : public EventFormatter {
public:
    void format(const FormatInput& in, std::string& out) const override { out += in.message.data; }
    bool prints_canonical_as_received() const override { return true; }
};



}  // namespace

std::unique_ptr<EventFormatter> make_json_formatter(bool color, bool terminal) {
    return std::make_unique<JsonFormatter>(color, terminal || color);
}

std::unique_ptr<EventFormatter> make_pretty_formatter(bool color, bool terminal) {
    return std::make_unique<PrettyFormatter>(color, terminal || color);
}

std::unique_ptr<EventFormatter> make_payload_formatter(bool color, bool terminal) {
    return std::make_unique<PayloadFormatter>(color, terminal || color);
}

std::unique_ptr<EventFormatter> make_raw_formatter() { return std::make_unique<RawFormatter>(); }

std::unique_ptr<EventFormatter> make_formatter(std::string_view spec, bool color, bool terminal) {
    if (spec == "json") return make_json_formatter(color, terminal);
    if (spec == "pretty") return make_pretty_formatter(color, terminal);
    if (spec == "payload") return make_payload_formatter(color, terminal);
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

}  // namespace rbus
