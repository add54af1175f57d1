// The scanner behind jscan::scan (json_scan.h) and the one-pass envelope reader
// (envelope_scan.cc): one walk over JSON text that validates it and, by mode,
// also tells or writes its canonical form. Internal to those two; use json_scan.h.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "json/json_canon.h"
#include "json/json_scan.h"
#include "base/hex.h"
#include "base/text.h"

namespace rbus::jscan::impl {

constexpr int kDepthLimit = 4096;  // hard cap on max_depth: the container stack is fixed

inline bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// Bytes a string may hold as they are: printable ASCII but '"' and '\\'.
constexpr std::array<bool, 256> kPlain = [] {
    std::array<bool, 256> t{};
    for (int c = 0x20; c < 0x80; ++c) t[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
    return t;
}();

// Past this nesting, or this many keys in the open objects, a scan that tracks
// the canonical form stops tracking it and answers "not canonical" (kEmit: hands
// the value back, see Mode::emit).
constexpr int kMaxCanonDepth = 32;
constexpr std::size_t kMaxCanonKeys = 128;
constexpr int kMaxEmitDepth = 64;
constexpr std::size_t kMaxEmitKeys = 512;

// The bytes of 8 (read little-endian) that are not kPlain (below 0x20, '"', '\\',
// 0x80 and up), as the high bit of each byte. Bits above the lowest one may be
// false alarms (a borrow carries into the next byte); the lowest one is exact.
inline std::uint64_t special_bytes(std::uint64_t w) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
    auto zero_bytes = [](std::uint64_t v) { return (v - kOnes) & ~v & kHighs; };
    const std::uint64_t below_space = (w - kOnes * 0x20) & ~w & kHighs;
    return below_space | zero_bytes(w ^ (kOnes * '"')) | zero_bytes(w ^ (kOnes * '\\')) | (w & kHighs);
}

inline std::uint64_t little_endian(std::uint64_t w) {
    if constexpr (std::endian::native == std::endian::big) return __builtin_bswap64(w);
    return w;
}

enum class Mode {
    validate,  // RFC 8259 only
    canon,     // also: is the value already in canonical form (json_canon.h)?
    // Also writes the canonical form, in the same pass: bytes are copied to *out
    // only from the first place that changes on (whitespace dropped, strings and
    // numbers rewritten as nlohmann writes them). A form that only the full
    // parser may decide (a duplicate key, a key with escapes nlohmann rewrites,
    // a number beyond a double, nesting or key counts past kMaxEmit*) sets
    // `handback` instead.
    emit,
};

// kCanon: also tells whether the value is in canonical form (json_canon.h), in
// the same pass: no whitespace inside, strings and numbers as nlohmann writes
// them, no duplicate keys.
template <Mode kMode>
struct Scanner {
    static constexpr bool kCanon = kMode != Mode::validate;
    static constexpr bool kEmit = kMode == Mode::emit;
    static constexpr int kKeyDepth = kEmit ? kMaxEmitDepth : kMaxCanonDepth;
    static constexpr std::size_t kKeyCount = kEmit ? kMaxEmitKeys : kMaxCanonKeys;

    std::string_view s;
    std::size_t i = 0;
    Error err;
    bool canonical = kCanon;  // kEmit: stays true, the output is canonical
    // Keys of the open objects (while canonical), innermost last; key_base[d] is
    // where the keys of the object at depth d + 1 start.
    struct Key {  // a raw key token in s; trivial, so that the key store is never zeroed
        std::uint32_t at, size;
    };
    std::array<Key, kKeyCount>* keys = nullptr;
    std::array<std::uint16_t, kKeyDepth>* key_base = nullptr;
    std::size_t nkeys = 0;

    // kEmit: where the canonical form goes, the first byte not yet copied, whether
    // anything was written, and a scratch string for decoding.
    std::string* out = nullptr;
    std::size_t run = 0;
    bool emitted = false;
    bool handback = false;
    bool in_key = false;
    std::string* decoded = nullptr;

    void flush(std::size_t upto) {
        out->append(s.data() + run, upto - run);
        emitted = true;
    }
    void not_canonical() {
        if constexpr (kEmit) handback = true;
        else canonical = false;
    }

    bool fail(const char* what) {
        err = Error{what, i};
        return false;
    }
    std::uint8_t byte(std::size_t k) const { return static_cast<std::uint8_t>(s[k]); }
    bool cont(std::size_t k, std::uint8_t lo = 0x80, std::uint8_t hi = 0xBF) const {
        return k < s.size() && byte(k) >= lo && byte(k) <= hi;
    }

    // One UTF-8 sequence starting at i (a byte >= 0x80). Out of line, as escape(): string() stays small.
    [[gnu::noinline]] bool utf8() {
        std::uint8_t b = byte(i);
        std::size_t n = 0;
        if (b >= 0xC2 && b <= 0xDF) n = cont(i + 1) ? 2 : 0;
        else if (b == 0xE0) n = cont(i + 1, 0xA0) && cont(i + 2) ? 3 : 0;
        else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) n = cont(i + 1) && cont(i + 2) ? 3 : 0;
        else if (b == 0xED) n = cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? 3 : 0;
        else if (b == 0xF0) n = cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
        else if (b >= 0xF1 && b <= 0xF3) n = cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
        else if (b == 0xF4) n = cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? 4 : 0;
        if (n == 0) return fail("invalid UTF-8 in a string");
        i += n;
        return true;
    }

    // \uXXXX at i (pointing at the 'u'); stores the code unit.
    bool hex4(unsigned& unit) {
        if (i + 4 >= s.size()) return fail("truncated \\u escape");
        unit = 0;
        for (std::size_t k = 1; k <= 4; ++k) {
            int h = hex_value(s[i + k]);
            if (h < 0) return fail("invalid \\u escape");
            unit = unit * 16 + static_cast<unsigned>(h);
        }
        i += 5;
        return true;
    }

    [[gnu::noinline]] bool escape() {  // i at the byte after the backslash
        if (i >= s.size()) return fail("unterminated string");
        char c = s[i];
        if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't') {
            ++i;
            return true;
        }
        if (c != 'u') return fail("invalid escape in a string");
        unsigned unit = 0;
        if (!hex4(unit)) return false;
        if (unit >= 0xDC00 && unit <= 0xDFFF) return fail("lone low surrogate in a \\u escape");
        if (unit >= 0xD800 && unit <= 0xDBFF) {
            if (i + 1 >= s.size() || s[i] != '\\' || s[i + 1] != 'u') return fail("lone high surrogate in a \\u escape");
            ++i;
            if (!hex4(unit)) return false;
            if (unit < 0xDC00 || unit > 0xDFFF) return fail("high surrogate without a low one in a \\u escape");
        }
        return true;
    }

    // Moves i to the next byte that is not kPlain (or the end): 16 bytes at a time
    // with SSE2, 8 at a time in a 64-bit word, the rest one by one.
    void skip_plain() {
#ifdef __SSE2__
        for (; i + 16 <= s.size(); i += 16) {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
            // Signed bytes below 0x20 are the control characters and every byte from 0x80 on.
            const __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                                              _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                                                 _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
            if (const int mask = _mm_movemask_epi8(special)) {
                i += static_cast<std::size_t>(std::countr_zero(static_cast<unsigned>(mask)));
                return;
            }
        }
#endif
        for (std::uint64_t w; i + sizeof w <= s.size(); i += sizeof w) {
            std::memcpy(&w, s.data() + i, sizeof w);
            if (std::uint64_t special = special_bytes(little_endian(w))) {
                i += static_cast<std::size_t>(std::countr_zero(special)) / 8;
                return;
            }
        }
        while (i < s.size() && kPlain[byte(i)]) ++i;
    }

    bool string() {  // i at the opening quote
        const std::size_t start = i++;
        bool escaped = false;
        for (;;) {
            skip_plain();
            if (i >= s.size()) return fail("unterminated string");
            std::uint8_t b = byte(i);
            if (b == '"') {
                ++i;
                if (kCanon && escaped && canonical) rewrite_string(start);
                return true;
            }
            if (b == '\\') {
                ++i;
                escaped = true;
                if (!escape()) return false;
            } else if (b < 0x20) {
                return fail("control character in a string");
            } else if (!utf8()) {
                return false;
            }
        }
    }

    void rewrite_string(std::size_t start) {
        const std::string_view token = s.substr(start, i - start);
        if (is_canonical_string(token)) return;
        if constexpr (kEmit) {
            if (in_key) {  // "a" and "\u0061" are one key: only the parser compares them
                handback = true;
                return;
            }
            flush(start);
            decoded->clear();
            if (!decode_string(token, *decoded)) handback = true;
            append_json_string(*out, *decoded);
            run = i;
        } else {
            canonical = false;
        }
    }

    bool digits() {
        if (i >= s.size() || !is_digit(s[i])) return fail("invalid number");
        while (i < s.size() && is_digit(s[i])) ++i;
        return true;
    }

    bool number() {
        const std::size_t start = i;
        if (s[i] == '-') ++i;
        if (i >= s.size() || !is_digit(s[i])) return fail("invalid number");
        if (s[i] == '0') ++i;
        else digits();
        bool integer = true;
        if (i < s.size() && s[i] == '.') {
            ++i;
            integer = false;
            if (!digits()) return false;
        }
        if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
            ++i;
            integer = false;
            if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
            if (!digits()) return false;
        }
        // Short integers other than -0 are written back as they are; the rest is checked.
        if (kCanon && canonical && (!integer || i - start > 18 || (s[start] == '-' && s[start + 1] == '0'))) {
            const std::string_view token = s.substr(start, i - start);
            if constexpr (kEmit) {
                if (!is_canonical_number(token)) {
                    flush(start);
                    if (!append_canonical_number(*out, token)) handback = true;
                    run = i;
                }
            } else {
                canonical = is_canonical_number(token);
            }
        }
        return true;
    }

    bool literal(std::string_view word) {
        if (s.substr(i, word.size()) != word) return fail("invalid literal");
        i += word.size();
        return true;
    }

    void ws() {
        while (i < s.size() && is_ws(s[i])) ++i;
    }
    // Whitespace inside the value: not canonical.
    void inner_ws() {
        if (i >= s.size() || !is_ws(s[i])) return;
        if constexpr (kEmit) {
            flush(i);
            ws();
            run = i;
            return;
        }
        if (kCanon) canonical = false;
        ws();
    }

    // A key of the object at depth (while canonical): not canonical when it repeats.
    void add_key(int depth, std::size_t at, std::size_t size) {
        const std::size_t first = (*key_base)[static_cast<std::size_t>(depth - 1)];
        for (std::size_t k = first; k < nkeys; ++k) {
            const Key& other = (*keys)[k];
            if (other.size == size && std::memcmp(s.data() + other.at, s.data() + at, size) == 0) {
                not_canonical();  // with canonical escapes, equal raw keys are exactly the equal keys
                return;
            }
        }
        if (nkeys == kKeyCount) {
            not_canonical();
            return;
        }
        (*keys)[nkeys++] = Key{static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(size)};
    }
    void open_object(int depth) {  // depth counts the object just opened
        if (depth > kKeyDepth) not_canonical();
        else (*key_base)[static_cast<std::size_t>(depth - 1)] = static_cast<std::uint16_t>(nkeys);
    }
    void close_object(int depth) {
        if (depth <= kKeyDepth) nkeys = (*key_base)[static_cast<std::size_t>(depth - 1)];
    }

    bool key_colon(int depth) {  // i at a key's opening quote (expected); leaves i at the value
        if (i >= s.size() || s[i] != '"') return fail("expected a string key");
        const std::size_t start = i;
        in_key = true;
        const bool ok = string();
        in_key = false;
        if (!ok) return false;
        if (kCanon && canonical && !handback) add_key(depth, start, i - start);
        inner_ws();
        if (i >= s.size() || s[i] != ':') return fail("expected ':' after a key");
        ++i;
        inner_ws();
        return true;
    }

    // One value at i (no whitespace before it); i ends just past it.
    bool value(int max_depth) {
        // Each level is written when it opens, before it is read: not zeroed,
        // which would cost 4 KiB of stores per message.
        std::array<bool, kDepthLimit> is_object;  // NOLINT(cppcoreguidelines-pro-type-member-init)
        std::array<Key, kKeyCount> key_store;  // NOLINT(cppcoreguidelines-pro-type-member-init)
        std::array<std::uint16_t, kKeyDepth> base_store;    // NOLINT(cppcoreguidelines-pro-type-member-init)
        if (kCanon) {
            keys = &key_store;
            key_base = &base_store;
        }
        int depth = 0;
        for (;;) {
            // a value at i
            if (i >= s.size()) return fail("unexpected end of input");
            char c = s[i];
            bool scalar = true;
            if (c == '{' || c == '[') {
                if (depth >= max_depth) return fail("nested too deeply");
                is_object[static_cast<std::size_t>(depth++)] = c == '{';
                ++i;
                inner_ws();
                char close = c == '{' ? '}' : ']';
                if (i < s.size() && s[i] == close) {
                    ++i;
                    --depth;
                } else {
                    if (c == '{') {
                        if (kCanon && canonical) open_object(depth);
                        if (!key_colon(depth)) return false;
                    }
                    scalar = false;
                }
            } else if (c == '"') {
                if (!string()) return false;
            } else if (c == '-' || is_digit(c)) {
                if (!number()) return false;
            } else if (c == 't') {
                if (!literal("true")) return false;
            } else if (c == 'f') {
                if (!literal("false")) return false;
            } else if (c == 'n') {
                if (!literal("null")) return false;
            } else {
                return fail("unexpected character");
            }
            if (!scalar) continue;
            // after a value: close containers or move to the next element
            for (;;) {
                if (depth == 0) return true;
                inner_ws();
                bool obj = is_object[static_cast<std::size_t>(depth - 1)];
                if (i >= s.size()) return fail("unexpected end of input");
                if (s[i] == ',') {
                    ++i;
                    inner_ws();
                    if (obj && !key_colon(depth)) return false;
                    break;
                }
                if (s[i] == (obj ? '}' : ']')) {
                    ++i;
                    if (kCanon && canonical && obj) close_object(depth);
                    --depth;
                    continue;
                }
                return fail(obj ? "expected ',' or '}'" : "expected ',' or ']'");
            }
        }
    }
};


}  // namespace rbus::jscan::impl
