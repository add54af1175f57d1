#include "bus/stream_frame.h"

#include <cstdint>
#include <cstring>

#include <fmt/format.h>

#include "base/error.h"

namespace rbus {
namespace {

// Walks a whole frame (its framing already checked by the RESP reader that
// measured it); any element of another kind than expected is a ProtocolError.
class FrameCursor {
public:
    FrameCursor(std::string_view frame, std::string_view what) : f_(frame), what_(what) {}

    char peek() const { return pos_ < f_.size() ? f_[pos_] : '\0'; }
    // The text of a header line of `type` (after the type byte), past its CRLF.
    std::string_view line(char type) {
        if (peek() != type) bad();
        const char* start = f_.data() + pos_ + 1;
        const char* cr = static_cast<const char*>(std::memchr(start, '\r', f_.size() - pos_ - 1));
        if (!cr) bad();
        std::string_view text(start, static_cast<std::size_t>(cr - start));
        pos_ = static_cast<std::size_t>(cr - f_.data()) + 2;
        return text;
    }
    std::int64_t number(char type) {
        std::string_view t = line(type);
        bool negative = !t.empty() && t[0] == '-';
        if (negative) t.remove_prefix(1);
        if (t.empty()) bad();
        std::int64_t n = 0;
        for (char c : t) n = n * 10 + (c - '0');
        return negative ? -n : n;
    }
    // A bulk or simple string.
    std::string_view string() {
        if (peek() == '+') return line('+');
        std::int64_t n = number('$');
        if (n < 0 || f_.size() - pos_ < static_cast<std::size_t>(n) + 2) bad();
        std::string_view s = f_.substr(pos_, static_cast<std::size_t>(n));
        pos_ += static_cast<std::size_t>(n) + 2;
        return s;
    }
    bool at_end() const { return pos_ == f_.size(); }
    [[noreturn]] void bad() const { throw ProtocolError(fmt::format("unexpected reply to {}", what_)); }

private:
    std::string_view f_, what_;
    std::size_t pos_ = 0;
};

}  // namespace

std::optional<std::string_view> parse_entries_frame(std::string_view frame, std::vector<FrameEntry>& out,
                                                    std::string_view what) {
    FrameCursor c(frame, what);
    if (c.peek() == '-') return c.line('-');
    std::int64_t entries = c.number('*');
    if (entries < 0) c.bad();
    out.reserve(out.size() + static_cast<std::size_t>(entries));
    for (std::int64_t i = 0; i < entries; ++i) {
        if (c.number('*') != 2) c.bad();
        FrameEntry e;
        e.id = c.string();
        if (c.peek() == '$') {  // a deleted entry: nil
            if (c.number('$') != -1) c.bad();
        } else {
            std::int64_t fields = c.number('*');  // -1: a deleted entry
            if (fields > 0 && fields % 2 != 0) c.bad();
            bool found = false;
            for (std::int64_t k = 0; k + 1 < fields; k += 2) {
                std::string_view name = c.string(), value = c.string();
                if (!found && name == "envelope") {
                    e.envelope = value;
                    found = true;
                }
            }
        }
        out.push_back(e);
    }
    if (!c.at_end()) c.bad();
    return std::nullopt;
}

}  // namespace rbus
