#include "text.h"

#include <algorithm>

#include <fmt/format.h>

namespace rbus {

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
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
    for (char ch : in) {
        auto u = static_cast<unsigned char>(ch);
        if (ch == '\n' || ch == '\r') s.push_back(' ');
        else if (u < 0x20 || u == 0x7f) s += fmt::format("\\x{:02x}", u);
        else s.push_back(ch);
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

}  // namespace rbus
