#include "base/timestamp.h"

#include <algorithm>

namespace rbus {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::seconds;

void put_digits(char*& out, long long value, int width) {
    for (int i = width - 1; i >= 0; --i) {
        out[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    out += width;
}

// Reads exactly n digits at pos.
bool read_digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

int days_in_month(int year, int month) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

std::string format_timestamp(SystemTime t) {
    // Civil calendar arithmetic from <chrono>: no locale, no time zone, no lock.
    const auto us = std::chrono::floor<microseconds>(t);
    const auto day = std::chrono::floor<std::chrono::days>(us);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss<microseconds> hms{us - day};
    const int year = static_cast<int>(ymd.year());

    std::string s;
    if (year < 0 || year > 9999) {
        s = std::to_string(year);  // cannot come from a nanosecond system_clock (1678-2262)
    } else {
        s.assign(4, '0');
        char* y = s.data();
        put_digits(y, year, 4);
    }
    char rest[23];
    char* out = rest;
    *out++ = '-';
    put_digits(out, static_cast<unsigned>(ymd.month()), 2);
    *out++ = '-';
    put_digits(out, static_cast<unsigned>(ymd.day()), 2);
    *out++ = 'T';
    put_digits(out, hms.hours().count(), 2);
    *out++ = ':';
    put_digits(out, hms.minutes().count(), 2);
    *out++ = ':';
    put_digits(out, hms.seconds().count(), 2);
    *out++ = '.';
    put_digits(out, hms.subseconds().count(), 6);
    *out = 'Z';
    s.append(rest, sizeof rest);
    return s;
}

void TimestampFormatter::format(SystemTime t, char* out) {
    const auto us = std::chrono::floor<microseconds>(t).time_since_epoch().count();
    long long second = us / 1000000, micro = us % 1000000;
    if (micro < 0) {
        micro += 1000000;
        --second;
    }
    if (!valid_ || second != second_) {
        // A nanosecond system_clock spans the years 1678-2262: always kLength characters.
        std::string full = format_timestamp(t);
        full.copy(prefix_, sizeof prefix_);
        second_ = second;
        valid_ = true;
    }
    std::copy(prefix_, prefix_ + sizeof prefix_, out);
    char* digits = out + sizeof prefix_;
    put_digits(digits, micro, 6);
    *digits = 'Z';
}

std::string now_timestamp() { return format_timestamp(std::chrono::system_clock::now()); }

std::optional<SystemTime> parse_timestamp(std::string_view s) {
    int year, month, day, hour, minute, second;
    if (s.size() < 19 || !read_digits(s, 0, 4, year) || s[4] != '-' || !read_digits(s, 5, 2, month) ||
        s[7] != '-' || !read_digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !read_digits(s, 11, 2, hour) || s[13] != ':' || !read_digits(s, 14, 2, minute) || s[16] != ':' ||
        !read_digits(s, 17, 2, second))
        return std::nullopt;
    // A leap second (:60) is accepted, as RFC 3339 allows; it carries into the next minute.
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 ||
        second > 60)
        return std::nullopt;

    std::size_t i = 19;
    long long micros = 0;
    if (i < s.size() && s[i] == '.') {
        std::size_t first = ++i;
        long long scale = 100000;
        for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
            micros += (s[i] - '0') * scale;
            scale /= 10;  // digits past the sixth add 0: truncated to the microsecond
        }
        if (i == first || i - first > 9) return std::nullopt;
    }

    long long offset = 0;  // seconds east of UTC
    if (i < s.size()) {
        const char c = s[i];
        if (c == 'Z' || c == 'z') {
            if (i + 1 != s.size()) return std::nullopt;
        } else if (c == '+' || c == '-') {
            int oh, om;
            std::size_t j = i + 3;
            if (j < s.size() && s[j] == ':') ++j;
            if (!read_digits(s, i + 1, 2, oh) || !read_digits(s, j, 2, om) || j + 2 != s.size() || oh > 23 ||
                om > 59)
                return std::nullopt;
            offset = (oh * 3600LL + om * 60LL) * (c == '+' ? 1 : -1);
        } else {
            return std::nullopt;
        }
    }

    // Civil calendar arithmetic (no timegm: no locale, no lock, and cheap enough per message);
    // a leap second (:60) carries into the next minute.
    const auto days = std::chrono::sys_days(std::chrono::year_month_day(
        std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)), std::chrono::day(static_cast<unsigned>(day))));
    const long long epoch = static_cast<long long>(days.time_since_epoch().count()) * 86400LL + hour * 3600LL +
                            minute * 60LL + second - offset;
    // system_clock counts nanoseconds: about the years 1678-2262. Outside, no time_point exists.
    static const long long kMin = std::chrono::ceil<seconds>(SystemTime::min()).time_since_epoch().count() + 1;
    static const long long kMax = std::chrono::floor<seconds>(SystemTime::max()).time_since_epoch().count() - 1;
    if (epoch < kMin || epoch > kMax) return std::nullopt;
    return SystemTime(duration_cast<SystemTime::duration>(seconds(epoch) + microseconds(micros)));
}

std::optional<std::string> normalize_timestamp(std::string_view text) {
    auto t = parse_timestamp(text);
    if (!t) return std::nullopt;
    return format_timestamp(*t);
}

}  // namespace rbus
