#include "redis/resp_frame.h"

#include <cstring>

#include "base/error.h"

namespace rbus {
namespace {

constexpr std::int64_t kMaxFrameLength = std::int64_t{1} << 40;  // Redis caps a string at 512 MB

[[noreturn]] void not_resp() { throw ProtocolError("protocol error: a reply that is not RESP2"); }

}  // namespace

std::size_t FrameMeter::measure(std::string_view buf) {
    while (pending_ > 0) {
        if (pos_ >= buf.size()) return 0;
        const char type = buf[pos_];
        const char* line = buf.data() + pos_ + 1;
        const char* cr = static_cast<const char*>(std::memchr(line, '\r', buf.size() - pos_ - 1));
        if (!cr || cr + 1 >= buf.data() + buf.size()) return 0;
        if (cr[1] != '\n') not_resp();
        std::size_t next = static_cast<std::size_t>(cr - buf.data()) + 2;
        if (type == '+' || type == '-') {
            --pending_;
            pos_ = next;
            continue;
        }
        if (type != ':' && type != '$' && type != '*') not_resp();
        bool negative = line < cr && *line == '-';
        const char* p = line + (negative ? 1 : 0);
        if (p == cr) not_resp();
        std::int64_t n = 0;
        for (; p < cr; ++p) {
            if (*p < '0' || *p > '9' || n > kMaxFrameLength) not_resp();
            n = n * 10 + (*p - '0');
        }
        if (negative) n = -n;
        if (type == '$' && n >= 0) {
            auto len = static_cast<std::size_t>(n);
            if (buf.size() - next < len + 2) return 0;  // the header stays to be read again: one line
            if (buf[next + len] != '\r' || buf[next + len + 1] != '\n') not_resp();
            next += len + 2;
        } else if (type == '*' && n > 0) {
            pending_ += n;
        }
        --pending_;
        pos_ = next;
    }
    return pos_;
}

}  // namespace rbus
