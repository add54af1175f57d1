#include "table.h"

#include <algorithm>
#include <sstream>

#include <rang.hpp>

namespace rbus {

Painter::Painter(bool color) : color_(color) {
    if (color_) rang::setControlMode(rang::control::Force);
}

std::string Painter::operator()(std::string_view text, Paint p) const {
    if (!color_ || p == Paint::none || text.empty()) return std::string(text);
    std::ostringstream os;
    switch (p) {
        case Paint::head: os << rang::style::bold; break;
        case Paint::name: os << rang::fg::blue; break;
        case Paint::number: os << rang::fg::cyan; break;
        case Paint::warn: os << rang::fg::red << rang::style::bold; break;
        case Paint::none: break;
    }
    os << text << rang::style::reset;
    return os.str();
}

void put_rows(std::string& out, const std::vector<Row>& rows, const Painter& paint) {
    std::vector<std::size_t> width;
    for (const auto& r : rows)
        for (std::size_t i = 0; i < r.size(); ++i) {
            if (width.size() <= i) width.push_back(0);
            width[i] = std::max(width[i], r[i].text.size());
        }
    for (const auto& r : rows) {
        std::string line = "  ";
        for (std::size_t i = 0; i < r.size(); ++i) {
            std::size_t pad = width[i] - r[i].text.size();
            bool last = i + 1 == r.size();
            if (r[i].right) line += std::string(pad, ' ');
            line += paint(r[i].text, r[i].paint);
            if (!r[i].right && !last) line += std::string(pad, ' ');
            if (!last) line += "  ";
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
}

}  // namespace rbus
