#include "base/table.h"

#include <algorithm>
#include <sstream>

#include "base/color.h"
#include "base/safe_text.h"
#include "base/text_width.h"

namespace rbus {

Painter::Painter(bool color) : color_(color) {}

std::string Painter::operator()(std::string_view text, Paint p) const {
    if (!color_ || text.empty()) return std::string(text);
    switch (p) {
        case Paint::head: return sgr_text(sgr::bold, text);
        case Paint::name: return sgr_text(sgr::blue, text);
        case Paint::number: return sgr_text(sgr::cyan, text);
        case Paint::warn: return sgr_text(sgr::bold_red, text);
        case Paint::none: break;
    }
    return std::string(text);
}

void put_rows(std::string& out, const std::vector<Row>& rows, const Painter& paint) {
    // Cells hold names from the bus and the server: escaped before they are
    // measured, so that neither an escape sequence nor the alignment gets through.
    std::vector<std::vector<std::string>> shown;
    std::vector<int> width;
    for (const auto& r : rows) {
        auto& cells = shown.emplace_back();
        for (std::size_t i = 0; i < r.size(); ++i) {
            cells.push_back(terminal_safe(r[i].text));
            if (width.size() <= i) width.push_back(0);
            width[i] = std::max(width[i], display_width(cells.back()));
        }
    }
    for (std::size_t row = 0; row < rows.size(); ++row) {
        const Row& r = rows[row];
        std::string line = "  ";
        for (std::size_t i = 0; i < r.size(); ++i) {
            const std::string& text = shown[row][i];
            auto pad = static_cast<std::size_t>(width[i] - display_width(text));
            bool last = i + 1 == r.size();
            if (r[i].right) line += std::string(pad, ' ');
            line += paint(text, r[i].paint);
            if (!r[i].right && !last) line += std::string(pad, ' ');
            if (!last) line += "  ";
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
}

}  // namespace rbus
