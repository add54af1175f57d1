// append_terminal_safe's fast path (printable ASCII eight bytes at a time)
// against the byte-by-byte definition, with hostile bytes at every offset.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "base/safe_text.h"

using namespace rbus;

namespace {

// The definition: each UTF-8 character decoded on its own; hidden controls as
// \uXXXX, bytes that are not UTF-8 as \xNN.
std::string terminal_safe_reference(std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        Utf8Char d = decode_utf8(text, i);
        if (!d.valid) {
            auto b = static_cast<unsigned char>(text[i]);
            out += "\\x";
            out += kHex[b >> 4];
            out += kHex[b & 0xf];
        } else if (is_hidden_control(d.cp)) {
            out += "\\u";
            for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(d.cp >> shift) & 0xf];
        } else {
            out.append(text.substr(i, d.len));
        }
        i += d.len;
    }
    return out;
}

// What must leave the fast path: controls, DEL, C1 (bare and encoded), bidi,
// line separators, invalid and truncated UTF-8, and harmless non-ASCII text.
const std::vector<std::string> kHostileBytes{
    "\x1b", "\x1b[2J", "\x07", "\x00", "\x1f", "\x7f", "\x9b", "\xc2\x9b", "\xc2\x85", "\xe2\x80\xae",
    "\xe2\x81\xa6", "\xe2\x80\xa8", "\xd8\x9c", "\xff", "\xfe", "\xc0\xaf", "\xe2\x80", "\xe2", "\xf0\x9f\x98",
    "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80", " ", "~",
};

}  // namespace

TEST_CASE("printable_ascii_prefix stops at the first byte outside 0x20..0x7E, wherever it is") {
    for (int b = 0; b < 256; ++b) {
        bool printable = b >= 0x20 && b < 0x7F;
        for (std::size_t at = 0; at < 20; ++at) {
            std::string s(24, 'a');
            s[at] = static_cast<char>(b);
            CHECK(printable_ascii_prefix(s) == (printable ? s.size() : at));
        }
    }
    CHECK(printable_ascii_prefix("") == 0);
    CHECK(printable_ascii_prefix(" !~}{ \"\\") == 8);
}

TEST_CASE("append_terminal_safe: hostile bytes at every offset across the eight-byte runs") {
    for (const std::string& bad : kHostileBytes) {
        for (std::size_t before = 0; before < 18; ++before) {
            for (std::size_t after : {0, 1, 7, 8, 9}) {
                std::string text = std::string(before, 'x') + bad + std::string(after, 'y');
                std::string out = "kept:";
                append_terminal_safe(out, text);
                CHECK(out == "kept:" + terminal_safe_reference(text));
                CHECK(terminal_safe(text) == terminal_safe_reference(text));
            }
        }
    }
    // Spelled out: nothing can drive a terminal, every escape is visible.
    CHECK(terminal_safe("abcdefgh\x1b]0;x\x07ijklmnop") == "abcdefgh\\u001b]0;x\\u0007ijklmnop");
    CHECK(terminal_safe("1234567\xc2\x9b" "31m") == "1234567\\u009b31m");
    CHECK(terminal_safe("12345678\xe2\x80\xae" "evil") == "12345678\\u202eevil");
    CHECK(terminal_safe("1234567\xe2\x80") == "1234567\\xe2\\x80");
    CHECK(terminal_safe("abcdefg\xe6\x97\xa5") == "abcdefg\xe6\x97\xa5");
}

TEST_CASE("append_terminal_safe equals the definition on random bytes") {
    std::mt19937 rng(15);
    std::uniform_int_distribution<int> len(0, 80), pick(0, 9), byte(0, 255), ascii(0x20, 0x7E);
    std::uniform_int_distribution<std::size_t> which(0, kHostileBytes.size() - 1);
    for (int n = 0; n < 20000; ++n) {
        std::string text;
        for (int k = len(rng); k > 0; --k) {
            int p = pick(rng);
            if (p < 6) text += static_cast<char>(ascii(rng));
            else if (p < 8) text += kHostileBytes[which(rng)];
            else text += static_cast<char>(byte(rng));
        }
        REQUIRE(terminal_safe(text) == terminal_safe_reference(text));
    }
}
