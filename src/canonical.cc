#include "canonical.h"

#include <array>
#include <cstdint>

namespace rbus {
namespace {

constexpr std::array<std::string_view, 8> kFields = {
    "id", "type", "payload", "priority", "request_id", "source_agent_id", "workspace_id", "timestamp"};

// Keys read_envelope() treats specially: not allowed among the unknown keys.
bool is_known_key(std::string_view raw_key) {
    for (std::string_view k : kFields)
        if (raw_key == k) return true;
    return raw_key == "event_type" || raw_key == "correlation_id";
}

bool digits(std::string_view s, std::size_t pos, std::size_t n) {
    for (std::size_t i = pos; i < pos + n; ++i)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

int number_at(std::string_view s, std::size_t pos, std::size_t n) {
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) v = v * 10 + (s[i] - '0');
    return v;
}

}  // namespace

bool is_canonical_timestamp(std::string_view s) {
    // 2026-11-26T16:10:30.237319Z
    if (s.size() != 27 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        s[19] != '.' || s[26] != 'Z' || !digits(s, 0, 4) || !digits(s, 5, 2) || !digits(s, 8, 2) ||
        !digits(s, 11, 2) || !digits(s, 14, 2) || !digits(s, 17, 2) || !digits(s, 20, 6))
        return false;
    int year = number_at(s, 0, 4), month = number_at(s, 5, 2), day = number_at(s, 8, 2);
    // Years a nanosecond system_clock holds, well inside; a leap second (:60) is rewritten.
    if (year < 1700 || year > 2200 || month < 1 || month > 12 || day < 1 || number_at(s, 11, 2) > 23 ||
        number_at(s, 14, 2) > 59 || number_at(s, 17, 2) > 59)
        return false;
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return day <= (month == 2 && leap ? 29 : kDays[month - 1]);
}

bool scan_canonical(std::string_view raw, CanonicalEnvelope& env) {
    if (raw.empty() || raw.front() != '{' || raw.back() != '}') return false;
    bool canonical = false;  // compact, strings and numbers as nlohmann writes them, no key twice
    auto top = jscan::scan(raw, canonical, nullptr, kMaxJsonDepth);
    if (!top || !canonical || top->kind != jscan::Kind::object) return false;
    env.raw = raw;
    std::size_t index = 0;
    bool ok = jscan::for_each_member(raw, [&](std::string_view key, jscan::Value v) {
        if (index >= kFields.size()) return !is_known_key(key) && jscan::plain(key);  // unknown keys, kept last
        if (key != kFields[index]) return false;
        bool string = v.kind == jscan::Kind::string;
        bool nullable = string || v.kind == jscan::Kind::null;
        switch (index++) {
            case 0: env.id = v.text; return string;
            case 1: env.type = v.text; return string && v.text.size() > 2;
            case 2: env.payload = v.text; return v.kind == jscan::Kind::object;
            case 3: {
                auto p = string ? parse_priority(v.text.substr(1, v.text.size() - 2)) : std::nullopt;
                if (p) env.priority = *p;
                return p.has_value();
            }
            case 4: env.request_id = v.text; return nullable;
            case 5: env.source_agent_id = v.text; return nullable;
            case 6: env.workspace_id = v.text; return nullable;
            default:
                env.timestamp = v.text;
                return string && is_canonical_timestamp(v.text.substr(1, v.text.size() - 2));
        }
    });
    return ok && index >= kFields.size();
}

bool token_equals(std::string_view token, std::string_view text) {
    if (token.size() < 2 || token.front() != '"') return false;
    std::string_view body = token.substr(1, token.size() - 2);
    if (jscan::plain(body)) return body == text;
    std::string decoded;
    return jscan::decode_string(token, decoded) && decoded == text;
}

void append_json_text(std::string& out, jscan::Value v) {
    if (v.kind == jscan::Kind::string) jscan::decode_string(v.text, out);
    else out.append(v.text);
}

}  // namespace rbus
