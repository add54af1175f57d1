#include "json/json_canon.h"

#include <algorithm>
#include <charconv>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

#include "json/json_scan.h"

namespace rbus {
namespace {

bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
bool is_hex_lower(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// The end of the string token starting at the quote at pos; *escaped when it holds a backslash.
std::size_t string_end(std::string_view s, std::size_t pos, bool* escaped) {
    const char* begin = s.data();
    const char* end = begin + s.size();
    const char* p = begin + pos + 1;
    for (;;) {
        const auto* quote = static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(end - p)));
        if (!quote) return s.size();
        const auto* back = static_cast<const char*>(std::memchr(p, '\\', static_cast<std::size_t>(quote - p)));
        if (!back) return static_cast<std::size_t>(quote - begin) + 1;
        *escaped = true;
        p = back + 2;  // past the escaped character (which may be a quote)
        if (p > end) return s.size();
    }
}

}  // namespace

void append_json_string(std::string& out, std::string_view raw) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    std::size_t run = 0;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        const auto c = static_cast<unsigned char>(raw[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(raw.data() + run, i - run);
        run = i + 1;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                out += "\\u00";
                out += kHex[c >> 4];
                out += kHex[c & 15];
        }
    }
    out.append(raw.data() + run, raw.size() - run);
    out += '"';
}

namespace {

// True when nlohmann prints the number token as it is: an integer that its lexer
// reads with strtoull (unsigned 64 bits) or strtoll (down to -2^63), but not -0.
bool number_kept(std::string_view tok) {
    if (tok.find_first_of(".eE") != std::string_view::npos) return false;
    const bool negative = tok[0] == '-';
    std::string_view digits = negative ? tok.substr(1) : tok;
    if (negative && digits == "0") return false;
    constexpr std::string_view kMaxUnsigned = "18446744073709551615", kMinNegative = "9223372036854775808";
    std::string_view limit = negative ? kMinNegative : kMaxUnsigned;
    return digits.size() < limit.size() || (digits.size() == limit.size() && digits <= limit);
}

// A number token that number_kept refused, as nlohmann prints it: -0 is the integer
// 0; the rest is a double (strtod, as its lexer) in its shortest round-trip form.
bool append_number(std::string& out, std::string_view tok) {
    if (tok == "-0") {
        out += '0';
        return true;
    }
    std::array<char, 128> buf{};
    if (tok.size() >= buf.size()) return false;  // rare: let the full parser decide
    std::copy(tok.begin(), tok.end(), buf.begin());
    double x = std::strtod(buf.data(), nullptr);
    if (!std::isfinite(x)) return false;  // nlohmann: "number overflow"
    char text[kDoubleTextSize];
    out += nlohmann_double_text(x, text);  // nlohmann's own text for that double
    return true;
}

struct Scratch {
    std::vector<std::string_view> keys;  // of the open objects, innermost last
    std::string decoded;
};

// Walks valid JSON and appends its canonical form. What needs no change (most of
// a compact payload) is copied in runs; whitespace is skipped and tokens that
// print differently are replaced.
class Canonicalizer {
public:
    Canonicalizer(std::string& out, std::string_view s, Scratch& scratch)
        : out_(out), s_(s), keys_(scratch.keys), decoded_(scratch.decoded) {}

    static constexpr std::size_t kFail = std::string_view::npos;

    bool run(std::size_t start) {
        run_ = start;
        std::size_t end = value(start);
        if (end == kFail) return false;
        emit_upto(end);
        return true;
    }

private:
    void emit_upto(std::size_t pos) {
        if (pos > run_) out_.append(s_.data() + run_, pos - run_);
        run_ = pos;
    }
    // Whitespace from pos on is dropped: returns the next non-whitespace offset.
    std::size_t ws(std::size_t pos) {
        if (pos < s_.size() && !is_ws(s_[pos])) return pos;
        emit_upto(pos);
        while (pos < s_.size() && is_ws(s_[pos])) ++pos;
        run_ = pos;
        return pos;
    }

    // The value at pos (no whitespace before it); returns the offset past it, or kFail.
    std::size_t value(std::size_t pos) {
        const char c = s_[pos];
        if (c == '{') return object(pos);
        if (c == '[') return array(pos);
        if (c == '"') return string(pos);
        std::size_t end = pos;
        while (end < s_.size() && !is_ws(s_[end]) && s_[end] != ',' && s_[end] != '}' && s_[end] != ']') ++end;
        if (c == 't' || c == 'f' || c == 'n') return end;
        std::string_view tok = s_.substr(pos, end - pos);
        if (number_kept(tok)) return end;
        emit_upto(pos);
        if (!append_number(out_, tok)) return kFail;
        run_ = end;
        return end;
    }

    std::size_t string(std::size_t pos) {
        bool escaped = false;
        std::size_t end = string_end(s_, pos, &escaped);
        if (!escaped) return end;
        emit_upto(pos);
        decoded_.clear();
        if (!jscan::decode_string(s_.substr(pos, end - pos), decoded_)) return kFail;
        append_json_string(out_, decoded_);
        run_ = end;
        return end;
    }

    std::size_t array(std::size_t pos) {
        pos = ws(pos + 1);
        if (s_[pos] == ']') return pos + 1;
        for (;;) {
            pos = value(pos);
            if (pos == kFail) return kFail;
            pos = ws(pos);
            if (s_[pos] == ']') return pos + 1;
            pos = ws(pos + 1);  // past ','
        }
    }

    std::size_t object(std::size_t pos) {
        pos = ws(pos + 1);
        if (s_[pos] == '}') return pos + 1;
        const std::size_t first_key = keys_.size();
        for (;;) {
            bool escaped = false;
            std::size_t key_end = string_end(s_, pos, &escaped);
            if (escaped) return kFail;  // "a" and "\u0061" are one key: the parser decides
            keys_.push_back(s_.substr(pos, key_end - pos));
            pos = ws(ws(key_end) + 1);  // past ':'
            pos = value(pos);
            if (pos == kFail) return kFail;
            pos = ws(pos);
            if (s_[pos] == '}') break;
            pos = ws(pos + 1);  // past ','
        }
        if (has_duplicates(first_key)) return kFail;  // the last value wins, at the first place
        keys_.resize(first_key);
        return pos + 1;
    }

    bool has_duplicates(std::size_t first) {
        const std::size_t n = keys_.size() - first;
        if (n < 2) return false;
        auto begin = keys_.begin() + static_cast<std::ptrdiff_t>(first);
        if (n <= 16) {
            for (auto i = begin; i != keys_.end(); ++i)
                for (auto j = i + 1; j != keys_.end(); ++j)
                    if (*i == *j) return true;
            return false;
        }
        std::vector<std::string_view> sorted(begin, keys_.end());
        std::sort(sorted.begin(), sorted.end());
        return std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end();
    }

    std::string& out_;
    std::string_view s_;
    std::vector<std::string_view>& keys_;
    std::string& decoded_;
    std::size_t run_ = 0;  // start of the bytes not yet copied
};

}  // namespace

bool append_canonical_json(std::string& out, std::string_view valid) {
    std::size_t start = jscan::skip_ws(valid, 0);
    if (start >= valid.size()) return false;
    thread_local Scratch scratch;  // reused: no allocation per call once warm
    scratch.keys.clear();
    return Canonicalizer(out, valid, scratch).run(start);
}

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
    char text[kDoubleTextSize];
    return nlohmann_double_text(d, text) == t;
}

namespace {

// The texts of the doubles seen last, by their bits: payloads repeat their
// floats (scores, ratios, versions), and dump() of one number costs about a
// thousand instructions. Direct-mapped; an entry holds exactly what dump()
// wrote for those bits, so a hit is that text again.
class DoubleTextCache {
public:
    std::string_view find(std::uint64_t bits) const {
        const Entry& e = entries_[slot(bits)];
        if (e.len == 0 || e.bits != bits) return {};
        return {e.text, e.len};
    }
    void put(std::uint64_t bits, std::string_view text) {
        if (text.empty() || text.size() > sizeof(Entry::text)) return;
        Entry& e = entries_[slot(bits)];
        e.bits = bits;
        e.len = static_cast<std::uint8_t>(text.size());
        std::memcpy(e.text, text.data(), text.size());
    }

private:
    struct Entry {
        std::uint64_t bits = 0;
        std::uint8_t len = 0;  // 0: empty
        char text[31];
    };
    static constexpr std::size_t kSlots = 1024;
    static std::size_t slot(std::uint64_t bits) { return static_cast<std::size_t>((bits * 0x9E3779B97F4A7C15ULL) >> 54); }
    std::array<Entry, kSlots> entries_{};
};

}  // namespace

std::string_view nlohmann_double_text(double x, char (&buf)[kDoubleTextSize]) {
    // As serializer::dump_float for an IEEE double (checked: static_assert below).
    static_assert(std::numeric_limits<double>::is_iec559 && std::numeric_limits<double>::digits == 53);
    if (!std::isfinite(x)) return "null";
    std::uint64_t bits = 0;
    std::memcpy(&bits, &x, sizeof bits);
    thread_local DoubleTextCache cache;
    std::string_view known = cache.find(bits);
    if (known.empty()) {
        // Public API only (no nlohmann::detail): dump() of that one number. A
        // double's text is at most 24 bytes, so it fits the caller's buffer.
        const std::string text = nlohmann::json(x).dump();
        const std::size_t n = std::min(text.size(), kDoubleTextSize);
        std::memcpy(buf, text.data(), n);
        cache.put(bits, std::string_view(buf, n));
        return std::string_view(buf, n);
    }
    std::memcpy(buf, known.data(), known.size());
    return std::string_view(buf, known.size());
}

bool append_canonical_number(std::string& out, std::string_view token) {
    if (!number_kept(token)) return append_number(out, token);
    out += token;
    return true;
}

}  // namespace rbus
