#include "base/safe_text.h"

#include <cstdint>
#include <cstring>

#include <nlohmann/json.hpp>

namespace rbus {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

void put_byte_escape(std::string& out, unsigned char b) {
    out += "\\x";
    out += kHexDigits[b >> 4];
    out += kHexDigits[b & 0xf];
}

void put_u_escape(std::string& out, char32_t cp) {
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += kHexDigits[(cp >> shift) & 0xf];
}

template <class J>
J lossless(const J& v) {
    if (v.is_string()) {
        const auto& s = v.template get_ref<const std::string&>();
        return J(lossless_utf8(s));
    }
    if (v.is_array()) {
        J out = J::array();
        for (const auto& e : v) out.push_back(lossless(e));
        return out;
    }
    if (v.is_object()) {
        J out = J::object();
        for (auto it = v.begin(); it != v.end(); ++it) out[lossless_utf8(it.key())] = lossless(it.value());
        return out;
    }
    return v;
}

}  // namespace

Utf8Char decode_utf8(std::string_view s, std::size_t i) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) return {b, 1, true};
    std::size_t len;
    char32_t cp, min;
    if ((b & 0xE0) == 0xC0) {
        len = 2, cp = b & 0x1F, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
        len = 3, cp = b & 0x0F, min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
        len = 4, cp = b & 0x07, min = 0x10000;
    } else {
        return {};
    }
    if (i + len > s.size()) return {};
    for (std::size_t k = 1; k < len; ++k) {
        auto c = static_cast<unsigned char>(s[i + k]);
        if ((c & 0xC0) != 0x80) return {};
        cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {};
    return {cp, len, true};
}

bool is_hidden_control(char32_t cp) {
    if (cp < 0x20 || cp == 0x7F) return true;
    if (cp < 0x80) return false;
    return cp <= 0x9F || cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
}

std::size_t printable_ascii_prefix(std::string_view text) {
    constexpr std::uint64_t kOnes = 0x0101010101010101u, kHigh = 0x8080808080808080u;
    const char* p = text.data();
    std::size_t i = 0;
    for (; i + 8 <= text.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        // Any byte >= 0x80, any byte < 0x20, any byte == 0x7F (the classic "has
        // less than" and "has zero" bit tricks: exact for whether any byte matches,
        // not for which one, so the byte loop below finds it).
        std::uint64_t x7f = w ^ (kOnes * 0x7F);
        if ((w & kHigh) | ((w - kOnes * 0x20) & ~w & kHigh) | ((x7f - kOnes) & ~x7f & kHigh)) break;
    }
    while (i < text.size()) {
        auto b = static_cast<unsigned char>(p[i]);
        if (b < 0x20 || b >= 0x7F) break;
        ++i;
    }
    return i;
}

void append_terminal_safe(std::string& out, std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        std::size_t run = printable_ascii_prefix(text.substr(i));
        out.append(text.data() + i, run);
        i += run;
        if (i == text.size()) break;
        Utf8Char d = decode_utf8(text, i);
        if (!d.valid) put_byte_escape(out, static_cast<unsigned char>(text[i]));
        else if (is_hidden_control(d.cp)) put_u_escape(out, d.cp);
        else out.append(text.substr(i, d.len));
        i += d.len;
    }
}

std::string terminal_safe(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    append_terminal_safe(out, text);
    return out;
}

std::string lossless_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        Utf8Char d = decode_utf8(text, i);
        if (d.valid) out.append(text.substr(i, d.len));
        else put_byte_escape(out, static_cast<unsigned char>(text[i]));
        i += d.len;
    }
    return out;
}

nlohmann::json lossless_json(const nlohmann::json& value) { return lossless(value); }
nlohmann::ordered_json lossless_json(const nlohmann::ordered_json& value) { return lossless(value); }

std::string json_terminal_safe(std::string_view dumped) {
    std::string out;
    out.reserve(dumped.size());
    for (std::size_t i = 0; i < dumped.size();) {
        auto b = static_cast<unsigned char>(dumped[i]);
        if (b >= 0x20 && b < 0x7F) {  // the common case, byte by byte
            out += dumped[i++];
            continue;
        }
        Utf8Char d = decode_utf8(dumped, i);
        // Not UTF-8 cannot happen in dumped JSON; such a byte is kept as it is.
        if (d.valid && is_hidden_control(d.cp)) put_u_escape(out, d.cp);
        else out.append(dumped.substr(i, d.len));
        i += d.len;
    }
    return out;
}

void append_template_escaped(std::string& out, std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        char c = text[i];
        auto b = static_cast<unsigned char>(c);
        if (b >= 0x20 && b < 0x7F) {
            if (c == '\\') out += "\\\\";
            else out += c;
            ++i;
            continue;
        }
        Utf8Char d = decode_utf8(text, i);
        if (!d.valid) {
            put_byte_escape(out, b);
        } else if (d.cp == '\n') {
            out += "\\n";
        } else if (d.cp == '\t') {
            out += "\\t";
        } else if (d.cp == '\r') {
            out += "\\r";
        } else if (d.cp == '\b') {
            out += "\\b";
        } else if (d.cp == '\f') {
            out += "\\f";
        } else if (is_hidden_control(d.cp)) {
            put_u_escape(out, d.cp);
        } else {
            out.append(text.substr(i, d.len));
        }
        i += d.len;
    }
}

}  // namespace rbus
