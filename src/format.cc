#include "format.h"

#include <fmt/format.h>

#include "error.h"
#include "output.h"
#include "template.h"

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

}  // namespace rbus
