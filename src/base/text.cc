#include "base/text.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/safe_text.h"

namespace rbus {

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> pieces;
    for (std::size_t start = 0;;) {
        std::size_t at = s.find(sep, start);
        pieces.push_back(s.substr(start, at == npos ? npos : at - start));
        if (at == npos) return pieces;
        start = at + 1;
    }
}

std::string escape_controls(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (is_control(c))
            out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        else
            out += c;
    }
    return out;
}

std::string printable_line(std::string_view s, std::size_t max) {
    std::string out;
    out.reserve(std::min(s.size(), max));
    for (char ch : s.substr(0, max)) {
        auto c = static_cast<unsigned char>(ch);
        out += c >= 0x20 && c < 0x7f ? ch : '?';
    }
    if (s.size() > max) out += "...";
    return out;
}

std::string single_line(std::string_view in) {
    std::string s;
    s.reserve(in.size());
    for (std::size_t i = 0; i < in.size();) {
        auto u = static_cast<unsigned char>(in[i]);
        if (in[i] == '\n' || in[i] == '\r') {
            s.push_back(' ');
            ++i;
        } else if (u < 0x20 || u == 0x7f) {
            s += fmt::format("\\x{:02x}", u);
            ++i;
        } else if (u < 0x80) {
            s.push_back(in[i++]);
        } else {  // C1 controls, bidi overrides, bytes that are not UTF-8
            std::size_t len = decode_utf8(in, i).len;
            s += terminal_safe(in.substr(i, len));
            i += len;
        }
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

// Offset of the first byte that breaks UTF-8, or npos.
std::size_t utf8_error_at(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        unsigned lo = 0x80, hi = 0xbf;  // allowed range of the second byte
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            if (c == 0xe0) lo = 0xa0;       // overlong
            else if (c == 0xed) hi = 0x9f;  // surrogates
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            if (c == 0xf0) lo = 0x90;       // overlong
            else if (c == 0xf4) hi = 0x8f;  // past U+10FFFF
        } else {
            return i;
        }
        if (n - i < len || p[i + 1] < lo || p[i + 1] > hi) return i;
        for (std::size_t k = 2; k < len; ++k)
            if ((p[i + k] & 0xc0) != 0x80) return i;
        i += len;
    }
    return npos;
}

// A value for a one-line message: JSON-quoted with everything outside printable ASCII
// escaped, shortened when long.
std::string json_quoted(std::string_view s, std::size_t max) {
    std::string shown = nlohmann::json(std::string(s.substr(0, max))).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
    if (s.size() > max) shown += "...";
    return shown;
}

}  // namespace rbus
