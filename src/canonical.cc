#include "canonical.h"

#include <array>
#include <charconv>
#include <cstdint>

namespace rbus {
namespace {


// Past this nesting, or this many keys in one object, the full read decides
// (it is linear where the duplicate-key and nested scans here are not).
constexpr int kMaxFastDepth = 32;
constexpr std::size_t kMaxFastKeys = 128;

constexpr std::array<std::string_view, 8> kFields = {
    "id", "type", "payload", "priority", "request_id", "source_agent_id", "workspace_id", "timestamp"};

// Keys read_envelope() treats specially: not allowed among the unknown keys.
bool is_known_key(std::string_view raw_key) {
    for (std::string_view k : kFields)
        if (raw_key == k) return true;
    return raw_key == "event_type" || raw_key == "correlation_id";
}

bool is_hex_lower(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

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

bool is_canonical_string(std::string_view t) {
    for (std::size_t i = t.find('\\'); i != std::string_view::npos; i = t.find('\\', i)) {
        char c = t[i + 1];
        if (c == '"' || c == '\\' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't') {
            i += 2;
            continue;
        }
        // \u00XX for a control character that has no short escape.
        if (c != 'u' || t.substr(i + 2, 2) != "00" || (t[i + 4] != '0' && t[i + 4] != '1') || !is_hex_lower(t[i + 5]))
            return false;
        std::string_view code = t.substr(i + 4, 2);
        if (code == "08" || code == "09" || code == "0a" || code == "0c" || code == "0d") return false;
        i += 6;
    }
    return true;
}

bool is_canonical_number(std::string_view t) {
    const char* first = t.data();
    const char* last = t.data() + t.size();
    if (t.find_first_of(".eE") == std::string_view::npos) {
        if (t[0] == '-') {  // nlohmann: an int64 when it fits, else a double
            std::int64_t v = 0;
            auto r = std::from_chars(first, last, v);
            return r.ec == std::errc() && r.ptr == last && v != 0;  // "-0" reads as 0
        }
        std::uint64_t v = 0;
        auto r = std::from_chars(first, last, v);
        return r.ec == std::errc() && r.ptr == last;
    }
    double d = 0;
    auto r = std::from_chars(first, last, d);
    if (r.ec != std::errc() || r.ptr != last) return false;  // out of range: the full read decides
    std::array<char, 64> buf{};
    char* end = nlohmann::detail::to_chars(buf.data(), buf.data() + buf.size(), d);
    return std::string_view(buf.data(), static_cast<std::size_t>(end - buf.data())) == t;
}

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

bool CanonicalScanner::value(std::string_view text, jscan::Kind kind, int depth) {
    switch (kind) {
        case jscan::Kind::string: return is_canonical_string(text);
        case jscan::Kind::number: return is_canonical_number(text);
        case jscan::Kind::object: return object(text, depth + 1);
        case jscan::Kind::array: {
            if (depth + 1 > kMaxFastDepth) return false;
            std::size_t i = 1;  // compact: no whitespace to skip
            if (text[i] == ']') return true;
            for (;;) {
                std::size_t end = jscan::skip_value(text, i);
                if (!value(text.substr(i, end - i), jscan::kind_at(text, i), depth + 1)) return false;
                if (text[end] != ',') return true;
                i = end + 1;
            }
        }
        default: return true;  // true, false, null
    }
}

bool CanonicalScanner::object(std::string_view text, int depth) {
    if (depth > kMaxFastDepth) return false;
    const std::size_t first = keys_.size();
    bool ok = jscan::for_each_member(text, [&](std::string_view key, jscan::Value v) {
        if (keys_.size() - first >= kMaxFastKeys || !is_canonical_string(key)) return false;
        // With canonical escapes, equal raw keys are exactly the equal keys.
        for (std::size_t k = first; k < keys_.size(); ++k)
            if (keys_[k] == key) return false;
        keys_.push_back(key);
        return value(v.text, v.kind, depth);
    });
    keys_.resize(first);
    return ok;
}

bool CanonicalScanner::scan(std::string_view raw, CanonicalEnvelope& env) {
    if (raw.empty() || raw.front() != '{' || raw.back() != '}') return false;
    auto top = jscan::scan(raw, nullptr, kMaxJsonDepth);
    if (!top || top->kind != jscan::Kind::object || !jscan::is_compact(raw)) return false;
    env.raw = raw;
    std::size_t index = 0;
    keys_.clear();
    bool ok = jscan::for_each_member(raw, [&](std::string_view key, jscan::Value v) {
        if (index >= kFields.size()) {  // unknown keys, kept after the known ones
            if (is_known_key(key) || !jscan::plain(key)) return false;
            for (std::string_view k : keys_)
                if (k == key) return false;
            if (keys_.size() >= kMaxFastKeys) return false;
            keys_.push_back(key);
            return value(v.text, v.kind, 1);
        }
        if (key != kFields[index]) return false;
        bool string = v.kind == jscan::Kind::string;
        bool nullable = string || v.kind == jscan::Kind::null;
        switch (index++) {
            case 0: env.id = v.text; return string && is_canonical_string(v.text);
            case 1: env.type = v.text; return string && v.text.size() > 2 && is_canonical_string(v.text);
            case 2: env.payload = v.text; return v.kind == jscan::Kind::object && object(v.text, 2);
            case 3: {
                auto p = string ? parse_priority(v.text.substr(1, v.text.size() - 2)) : std::nullopt;
                if (p) env.priority = *p;
                return p.has_value();
            }
            case 4: env.request_id = v.text; return nullable && (!string || is_canonical_string(v.text));
            case 5: env.source_agent_id = v.text; return nullable && (!string || is_canonical_string(v.text));
            case 6: env.workspace_id = v.text; return nullable && (!string || is_canonical_string(v.text));
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
