#include "event/canonical.h"

#include <array>
#include <cstdint>

namespace rbus {
namespace {

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
