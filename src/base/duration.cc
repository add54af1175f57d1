#include "base/duration.h"

#include <cstdint>

#include <fmt/format.h>

#include "base/error.h"
#include "base/text.h"

namespace rbus {

namespace {

constexpr std::uint64_t kMaxMs = 8760ULL * 3'600'000ULL;  // one year
constexpr std::size_t kMaxFractionDigits = 9;


// The text as it may be shown inside quotes: control characters escaped.
std::string shown(std::string_view text) {
    std::string out;
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f)
            out += fmt::format("\\x{:02x}", u);
        else
            out += c;
    }
    return out;
}

std::uint64_t unit_ms(std::string_view unit) {
    if (unit == "ms") return 1;
    if (unit == "s") return 1000;
    if (unit == "m") return 60'000;
    if (unit == "h") return 3'600'000;
    return 0;
}

}  // namespace

Duration parse_duration(std::string_view text) {
    auto bad = [&](std::string_view why) {
        return UsageError(fmt::format("invalid duration \"{}\": {}", shown(text), why));
    };
    constexpr std::string_view kHint = "use a unit, e.g. 250ms, 5s, 2m, 1h";

    if (text.empty()) throw bad("empty; use e.g. 250ms, 5s, 2m, 1h");
    if (text[0] == '-') throw bad("a duration cannot be negative");

    std::uint64_t total = 0;
    bool any_nonzero = false;
    std::size_t i = 0;
    while (i < text.size()) {
        // Integer part.
        std::size_t start = i;
        std::uint64_t whole = 0;
        while (i < text.size() && is_digit(text[i])) {
            whole = whole * 10 + static_cast<std::uint64_t>(text[i] - '0');
            if (whole > kMaxMs) throw bad("too long: the maximum is 8760h (one year)");
            ++i;
        }
        if (i == start) {
            if (i < text.size() && text[i] == '.') throw bad("write a digit before the decimal point, e.g. 0.5s");
            throw bad("expected a number with a unit, e.g. 250ms, 5s, 2m, 1h");
        }
        // Fraction: kept as numerator / 10^digits, exact.
        std::uint64_t frac = 0, denom = 1;
        if (i < text.size() && text[i] == '.') {
            ++i;
            std::size_t fstart = i;
            while (i < text.size() && is_digit(text[i])) {
                if (i - fstart < kMaxFractionDigits) {
                    frac = frac * 10 + static_cast<std::uint64_t>(text[i] - '0');
                    denom *= 10;
                }
                ++i;
            }
            if (i == fstart) throw bad("write a digit after the decimal point, e.g. 1.5s");
        }
        // Unit.
        std::size_t ustart = i;
        while (i < text.size() && is_alpha(text[i])) ++i;
        std::string_view unit = text.substr(ustart, i - ustart);
        if (unit.empty()) {
            if (i < text.size()) throw bad(fmt::format("unexpected \"{}\"; {}", shown(text.substr(i, 1)), kHint));
            if (start == 0 && whole == 0 && frac == 0) return Duration(0);  // "0", "0.0"
            throw bad(kHint);
        }
        std::uint64_t mult = unit_ms(unit);
        if (mult == 0) throw bad(fmt::format("unknown unit \"{}\": use ms, s, m or h", shown(unit)));
        if (whole > kMaxMs / mult) throw bad("too long: the maximum is 8760h (one year)");
        // frac < 10^9 and mult <= 3.6e6: the product fits in 64 bits.
        std::uint64_t part = whole * mult + (frac * mult + denom / 2) / denom;
        if (whole != 0 || frac != 0) any_nonzero = true;
        total += part;
        if (total > kMaxMs) throw bad("too long: the maximum is 8760h (one year)");
    }
    if (total == 0 && any_nonzero) throw bad("shorter than the 1ms resolution");
    return Duration(static_cast<Duration::rep>(total));
}

std::string format_duration_as_given(Duration d) {
    long long ms = d.count();
    if (ms <= 0 || ms % 1000 != 0) return format_duration(d);
    long long s = ms / 1000;
    std::string out;
    if (s >= 3600) out += fmt::format("{}h", s / 3600), s %= 3600;
    if (s >= 60) out += fmt::format("{}m", s / 60), s %= 60;
    if (s > 0) out += fmt::format("{}s", s);
    return out;
}

std::string format_duration(Duration d) {
    long long ms = d.count();
    const char* sign = ms < 0 ? "-" : "";
    unsigned long long mag = static_cast<unsigned long long>(ms);
    if (ms < 0) mag = 0ULL - mag;
    if (mag < 1000) return fmt::format("{}{}ms", sign, mag);
    unsigned long long centis = mag / 10 + (mag % 10 >= 5 ? 1 : 0);
    return fmt::format("{}{}.{:02}s", sign, centis / 100, centis % 100);
}

}  // namespace rbus
