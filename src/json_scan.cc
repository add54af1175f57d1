#include "json_scan.h"

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "json_canon.h"
#include "text.h"

namespace rbus::jscan {
namespace {

constexpr int kDepthLimit = 4096;  // hard cap on max_depth: the container stack is fixed

bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Bytes a string may hold as they are: printable ASCII but '"' and '\\'.
constexpr std::array<bool, 256> kPlain = [] {
    std::array<bool, 256> t{};
    for (int c = 0x20; c < 0x80; ++c) t[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
    return t;
}();

// Past this nesting, or this many keys in the open objects, a scan that tracks
// the canonical form stops tracking it and answers "not canonical".
constexpr int kMaxCanonDepth = 32;
constexpr std::size_t kMaxCanonKeys = 128;

// The bytes of 8 (read little-endian) that are not kPlain (below 0x20, '"', '\\',
// 0x80 and up), as the high bit of each byte. Bits above the lowest one may be
// false alarms (a borrow carries into the next byte); the lowest one is exact.
std::uint64_t special_bytes(std::uint64_t w) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
    auto zero_bytes = [](std::uint64_t v) { return (v - kOnes) & ~v & kHighs; };
    const std::uint64_t below_space = (w - kOnes * 0x20) & ~w & kHighs;
    return below_space | zero_bytes(w ^ (kOnes * '"')) | zero_bytes(w ^ (kOnes * '\\')) | (w & kHighs);
}

std::uint64_t little_endian(std::uint64_t w) {
    if constexpr (std::endian::native == std::endian::big) return __builtin_bswap64(w);
    return w;
}

// kCanon: also tells whether the value is in canonical form (json_canon.h), in
// the same pass: no whitespace inside, strings and numbers as nlohmann writes
// them, no duplicate keys.
template <bool kCanon>
struct Scanner {
    std::string_view s;
    std::size_t i = 0;
    Error err;
    bool canonical = kCanon;
    // Keys of the open objects (while canonical), innermost last; key_base[d] is
    // where the keys of the object at depth d + 1 start.
    struct Key {  // a raw key token in s; trivial, so that the key store is never zeroed
        std::uint32_t at, size;
    };
    std::array<Key, kMaxCanonKeys>* keys = nullptr;
    std::array<std::uint8_t, kMaxCanonDepth>* key_base = nullptr;
    std::size_t nkeys = 0;

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
                if (kCanon && escaped && canonical) canonical = is_canonical_string(s.substr(start, i - start));
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
        if (kCanon && canonical && (!integer || i - start > 18 || (s[start] == '-' && s[start + 1] == '0')))
            canonical = is_canonical_number(s.substr(start, i - start));
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
        if (kCanon) canonical = false;
        ws();
    }

    // A key of the object at depth (while canonical): not canonical when it repeats.
    void add_key(int depth, std::size_t at, std::size_t size) {
        const std::size_t first = (*key_base)[static_cast<std::size_t>(depth - 1)];
        for (std::size_t k = first; k < nkeys; ++k) {
            const Key& other = (*keys)[k];
            if (other.size == size && std::memcmp(s.data() + other.at, s.data() + at, size) == 0) {
                canonical = false;  // with canonical escapes, equal raw keys are exactly the equal keys
                return;
            }
        }
        if (nkeys == kMaxCanonKeys) {
            canonical = false;
            return;
        }
        (*keys)[nkeys++] = Key{static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(size)};
    }
    void open_object(int depth) {  // depth counts the object just opened
        if (depth > kMaxCanonDepth) canonical = false;
        else (*key_base)[static_cast<std::size_t>(depth - 1)] = static_cast<std::uint8_t>(nkeys);
    }
    void close_object(int depth) { nkeys = (*key_base)[static_cast<std::size_t>(depth - 1)]; }

    bool key_colon(int depth) {  // i at a key's opening quote (expected); leaves i at the value
        if (i >= s.size() || s[i] != '"') return fail("expected a string key");
        const std::size_t start = i;
        if (!string()) return false;
        if (kCanon && canonical) add_key(depth, start, i - start);
        inner_ws();
        if (i >= s.size() || s[i] != ':') return fail("expected ':' after a key");
        ++i;
        inner_ws();
        return true;
    }

    bool run(int max_depth) {
        // Each level is written when it opens, before it is read: not zeroed,
        // which would cost 4 KiB of stores per message.
        std::array<bool, kDepthLimit> is_object;  // NOLINT(cppcoreguidelines-pro-type-member-init)
        std::array<Key, kMaxCanonKeys> key_store;  // NOLINT(cppcoreguidelines-pro-type-member-init)
        std::array<std::uint8_t, kMaxCanonDepth> base_store;    // NOLINT(cppcoreguidelines-pro-type-member-init)
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
                if (depth == 0) {
                    ws();
                    return i == s.size() || fail("unexpected characters after the value");
                }
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

}  // namespace

std::size_t skip_ws(std::string_view s, std::size_t pos) {
    while (pos < s.size() && is_ws(s[pos])) ++pos;
    return pos;
}

Kind kind_at(std::string_view s, std::size_t pos) {
    switch (s[pos]) {
        case '{': return Kind::object;
        case '[': return Kind::array;
        case '"': return Kind::string;
        case 't':
        case 'f': return Kind::boolean;
        case 'n': return Kind::null;
        default: return Kind::number;
    }
}

namespace {
template <bool kCanon>
std::optional<Value> scan_with(std::string_view in, Error* err, int max_depth, bool* canonical) {
    Scanner<kCanon> sc{in, 0, Error{}};
    if (kCanon && in.size() > UINT32_MAX) sc.canonical = false;  // keys are kept as 32-bit offsets
    sc.ws();
    std::size_t start = sc.i;
    if (start == in.size()) {
        if (err) *err = Error{"empty input", start};
        return std::nullopt;
    }
    int depth = max_depth < 0 ? 0 : (max_depth > kDepthLimit ? kDepthLimit : max_depth);
    if (!sc.run(depth)) {
        if (err) *err = sc.err;
        return std::nullopt;
    }
    if (canonical) *canonical = sc.canonical;
    std::size_t end = in.size();
    while (end > start && is_ws(in[end - 1])) --end;
    return Value{kind_at(in, start), in.substr(start, end - start)};
}
}  // namespace

std::optional<Value> scan(std::string_view in, Error* err, int max_depth) {
    return scan_with<false>(in, err, max_depth, nullptr);
}

std::optional<Value> scan(std::string_view in, bool& canonical, Error* err, int max_depth) {
    return scan_with<true>(in, err, max_depth, &canonical);
}

namespace {
std::size_t skip_string(std::string_view s, std::size_t pos) {  // pos at the opening quote
    for (++pos; pos < s.size(); ++pos) {
        if (s[pos] == '\\') ++pos;
        else if (s[pos] == '"') return pos + 1;
    }
    return s.size();
}
}  // namespace

std::size_t skip_value(std::string_view s, std::size_t pos) {
    pos = skip_ws(s, pos);
    if (pos >= s.size()) return pos;
    char c = s[pos];
    if (c == '"') return skip_string(s, pos);
    if (c != '{' && c != '[') {
        while (pos < s.size() && !is_ws(s[pos]) && s[pos] != ',' && s[pos] != '}' && s[pos] != ']' && s[pos] != ':')
            ++pos;
        return pos;
    }
    int depth = 0;
    while (pos < s.size()) {
        char d = s[pos];
        if (d == '"') {
            pos = skip_string(s, pos);
            continue;
        }
        if (d == '{' || d == '[') ++depth;
        else if ((d == '}' || d == ']') && --depth == 0) return pos + 1;
        ++pos;
    }
    return pos;
}

namespace {
void put_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

bool read_hex4(std::string_view t, std::size_t at, unsigned& unit) {
    if (at + 4 > t.size()) return false;
    unit = 0;
    for (std::size_t k = 0; k < 4; ++k) {
        int h = hex_value(t[at + k]);
        if (h < 0) return false;
        unit = unit * 16 + static_cast<unsigned>(h);
    }
    return true;
}
}  // namespace

bool decode_string(std::string_view token, std::string& out) {
    if (token.size() < 2 || token.front() != '"' || token.back() != '"') return false;
    std::string_view body = token.substr(1, token.size() - 2);
    std::size_t run = 0;
    for (std::size_t i = 0; i < body.size(); ++i) {
        if (body[i] != '\\') continue;
        out.append(body.data() + run, i - run);
        if (++i >= body.size()) return false;
        switch (body[i]) {
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                unsigned unit = 0;
                if (!read_hex4(body, i + 1, unit)) return false;
                i += 4;
                if (unit >= 0xDC00 && unit <= 0xDFFF) return false;
                if (unit >= 0xD800 && unit <= 0xDBFF) {
                    unsigned low = 0;
                    if (i + 2 >= body.size() || body[i + 1] != '\\' || body[i + 2] != 'u' ||
                        !read_hex4(body, i + 3, low) || low < 0xDC00 || low > 0xDFFF)
                        return false;
                    i += 6;
                    unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                }
                put_utf8(out, unit);
                break;
            }
            default: out += body[i];  // " \ /
        }
        run = i + 1;
    }
    out.append(body.data() + run, body.size() - run);
    return true;
}

}  // namespace rbus::jscan
