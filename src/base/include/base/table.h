// Aligned text tables with optional ANSI colour (base/color.h): the building block of
// rbus-stats's table. Cells are padded on their plain text, then painted, so
// that colour never breaks the alignment.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rbus {

enum class Paint { none, head, name, number, warn };

struct Cell {
    std::string text;
    Paint paint = Paint::none;
    bool right = false;  // aligned to the right
};
using Row = std::vector<Cell>;

// A right-aligned cell, cyan by default.
inline Cell num(std::string text, Paint p = Paint::number) { return {std::move(text), p, true}; }

class Painter {
public:
    explicit Painter(bool color);
    std::string operator()(std::string_view text, Paint p) const;

private:
    bool color_;
};

// Appends the rows, two spaces of indent and two between columns, no trailing spaces.
void put_rows(std::string& out, const std::vector<Row>& rows, const Painter& paint);

}  // namespace rbus
