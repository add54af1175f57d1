#include "json/json_scan.h"

#include <cstdint>

#include "json/json_scanner.h"

namespace rbus::jscan {

using impl::is_ws;

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
    impl::Scanner<kCanon ? impl::Mode::canon : impl::Mode::validate> sc{in, 0, Error{}};
    if (kCanon && in.size() > UINT32_MAX) sc.canonical = false;  // keys are kept as 32-bit offsets
    sc.ws();
    std::size_t start = sc.i;
    if (start == in.size()) {
        if (err) *err = Error{"empty input", start};
        return std::nullopt;
    }
    int depth = max_depth < 0 ? 0 : (max_depth > impl::kDepthLimit ? impl::kDepthLimit : max_depth);
    bool ok = sc.value(depth);
    if (ok) {
        sc.ws();
        ok = sc.i == in.size() || sc.fail("unexpected characters after the value");
    }
    if (!ok) {
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
