#include "event/format.h"

#include <fmt/format.h>

#include "base/error.h"
#include "json/json_paint.h"
#include "base/safe_text.h"
#include "event/template.h"

namespace rbus {
namespace {

class JsonFormatter : public EventFormatter {
public:
    JsonFormatter(bool color, bool terminal) : color_(color), terminal_(terminal) {}
    void format(const FormatInput& in, std::string& out) const override {
        if (!terminal_) {
            out += in.event.text;
            return;
        }
        const std::string safe = json_terminal_safe(in.event.text);  // colour implies it
        if (color_) append_colored_json(out, safe);
        else out += safe;
    }

private:
    bool color_, terminal_;
};

class PrettyFormatter : public EventFormatter {
public:
    PrettyFormatter(bool color, bool terminal) : color_(color), terminal_(terminal) {}
    void format(const FormatInput& in, std::string& out) const override {
        if (terminal_) append_pretty_json(out, json_terminal_safe(in.event.text), color_);
        else append_pretty_json(out, in.event.text, color_);
    }

private:
    bool color_, terminal_;
};

class PayloadFormatter : public EventFormatter {
public:
    PayloadFormatter(bool color, bool terminal) : color_(color), terminal_(terminal) {}
    void format(const FormatInput& in, std::string& out) const override {
        if (!terminal_) {
            out += in.event.payload;
            return;
        }
        const std::string safe = json_terminal_safe(in.event.payload);
        if (color_) append_colored_json(out, safe);
        else out += safe;
    }

private:
    bool color_, terminal_;
};

class RawFormatter : public EventFormatter {
public:
    void format(const FormatInput& in, std::string& out) const override { out += in.message.data; }
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
