#include "json/json_paint.h"

#include <nlohmann/json.hpp>

#include "base/color.h"
#include "base/safe_text.h"
#include "json/json_scan.h"

namespace rbus {
namespace {

constexpr std::string_view kKey = sgr::blue, kString = sgr::green, kLiteral = sgr::magenta, kNumber = sgr::cyan;

void paint(std::string& out, std::string_view params, std::string_view token, bool color) {
    append_sgr(out, color ? params : std::string_view(), token);
}

std::string_view scalar_color(char first) {
    if (first == '"') return kString;
    if (first == 't' || first == 'f' || first == 'n') return kLiteral;
    return kNumber;
}

void indent(std::string& out, int depth) { out.append(static_cast<std::size_t>(depth) * 2, ' '); }

void pretty(std::string& out, std::string_view v, bool color, int depth) {
    const jscan::Kind kind = jscan::kind_at(v, 0);
    if (kind == jscan::Kind::object && v != "{}") {
        out += "{\n";
        bool first = true;
        jscan::for_each_member(v, [&](std::string_view key, jscan::Value value) {
            if (!first) out += ",\n";
            first = false;
            indent(out, depth + 1);
            paint(out, kKey, std::string_view(key.data() - 1, key.size() + 2), color);  // with its quotes
            out += ": ";
            pretty(out, value.text, color, depth + 1);
            return true;
        });
        out += '\n';
        indent(out, depth);
        out += '}';
    } else if (kind == jscan::Kind::array && v != "[]") {
        out += "[\n";
        for (std::size_t pos = 1; v[pos] != ']';) {
            if (pos > 1) out += ",\n";
            std::size_t end = jscan::skip_value(v, pos);
            indent(out, depth + 1);
            pretty(out, v.substr(pos, end - pos), color, depth + 1);
            pos = v[end] == ',' ? end + 1 : end;
        }
        out += '\n';
        indent(out, depth);
        out += ']';
    } else if (kind == jscan::Kind::object || kind == jscan::Kind::array) {
        out += v;
    } else {
        paint(out, scalar_color(v.front()), v, color);
    }
}

}  // namespace

void append_colored_json(std::string& out, std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const char c = s[i];
        if (c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':') {
            out += c;
            ++i;
            continue;
        }
        const std::size_t end = jscan::skip_value(s, i);
        const bool key = c == '"' && end < s.size() && s[end] == ':';
        paint(out, key ? kKey : scalar_color(c), s.substr(i, end - i), true);
        i = end;
    }
}

void append_pretty_json(std::string& out, std::string_view canonical, bool color) {
    if (!canonical.empty()) pretty(out, canonical, color, 0);
}

std::string colorize_json(const nlohmann::ordered_json& value) {
    std::string out;
    // Coloured JSON is read by a person: no bidi override or C1 control as such.
    append_colored_json(out, json_terminal_safe(value.dump(-1, ' ', false,
                                                           nlohmann::ordered_json::error_handler_t::replace)));
    return out;
}

}  // namespace rbus
