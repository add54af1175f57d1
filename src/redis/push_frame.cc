#include "redis/push_frame.h"
#include "base/text.h"

#include <cstdint>

namespace rbus {
namespace {

using Kind = PushFrame::Kind;
PushFrame malformed() {
    PushFrame f;
    f.kind = Kind::malformed;
    return f;
}
// Longer length fields than this are not RESP from a sane server (512 MB is Redis's cap).
constexpr std::int64_t kMaxLength = std::int64_t{1} << 40;

// The integer of a header line (after its type byte) at buf[pos], and the
// offset past its CRLF. Returns false when the line is not complete yet;
// sets bad when it is not a number.
bool header_number(std::string_view buf, std::size_t pos, std::int64_t& value, std::size_t& next, bool& bad) {
    std::size_t cr = buf.find('\r', pos);
    if (cr == npos || cr + 1 >= buf.size()) return false;
    if (buf[cr + 1] != '\n') {
        bad = true;
        return true;
    }
    std::size_t i = pos;
    bool negative = i < cr && buf[i] == '-';
    if (negative) ++i;
    if (i == cr) bad = true;
    std::int64_t v = 0;
    for (; i < cr && !bad; ++i) {
        if (buf[i] < '0' || buf[i] > '9' || v > kMaxLength) bad = true;
        else v = v * 10 + (buf[i] - '0');
    }
    value = negative ? -v : v;
    next = cr + 2;
    return true;
}

// A bulk string `$N\r\n…\r\n` at pos: its body and the offset past it.
// Kind::message when read, incomplete (with `next` the offset its header says
// it ends at, when the header is there), or other when it is not a plain bulk string.
Kind bulk(std::string_view buf, std::size_t pos, std::string_view& body, std::size_t& next) {
    if (pos >= buf.size()) return Kind::incomplete;
    if (buf[pos] != '$') return Kind::other;
    std::int64_t len = 0;
    std::size_t start = 0;
    bool bad = false;
    if (!header_number(buf, pos + 1, len, start, bad)) return Kind::incomplete;
    if (bad || len < 0) return Kind::other;
    auto n = static_cast<std::size_t>(len);
    if (buf.size() - start < n + 2) {
        next = start + n + 2;
        return Kind::incomplete;
    }
    if (buf[start + n] != '\r' || buf[start + n + 1] != '\n') return Kind::other;
    body = buf.substr(start, n);
    next = start + n + 2;
    return Kind::message;
}

// The size of any RESP2 frame at buf[0] (arrays nest: a count of elements
// still to read stands in for a stack).
PushFrame measure(std::string_view buf) {
    std::size_t pos = 0;
    std::int64_t pending = 1;
    while (pending > 0) {
        if (pos >= buf.size()) return {};
        char type = buf[pos];
        if (type != '+' && type != '-' && type != ':' && type != '$' && type != '*') return malformed();
        std::int64_t n = 0;
        std::size_t next = 0;
        bool bad = false;
        if (type == '+' || type == '-') {
            std::size_t lf = buf.find('\n', pos);
            if (lf == npos) return {};
            if (lf == pos || buf[lf - 1] != '\r') return malformed();  // hiredis waits for CRLF: not RESP
            next = lf + 1;
        } else if (!header_number(buf, pos + 1, n, next, bad)) {
            return {};
        }
        if (bad) return malformed();
        --pending;
        pos = next;
        if (type == '$' && n >= 0) {
            auto len = static_cast<std::size_t>(n);
            if (buf.size() - pos < len + 2) {
                PushFrame f;
                f.needed = pos + len + 2;
                return f;
            }
            if (buf[pos + len] != '\r' || buf[pos + len + 1] != '\n') return malformed();
            pos += len + 2;
        } else if (type == '*' && n > 0) {
            pending += n;
        }
    }
    PushFrame f;
    f.kind = Kind::other;
    f.size = pos;
    return f;
}

}  // namespace

PushFrame next_push_frame(std::string_view buf) {
    constexpr std::string_view kMessage = "*3\r\n$7\r\nmessage\r\n";
    constexpr std::string_view kPmessage = "*4\r\n$8\r\npmessage\r\n";
    std::string_view head;
    bool pattern = false;
    if (buf.starts_with(kMessage)) {
        head = kMessage;
    } else if (buf.starts_with(kPmessage)) {
        head = kPmessage;
        pattern = true;
    } else if (kMessage.starts_with(buf) || kPmessage.starts_with(buf)) {
        return {};  // too short to tell
    } else {
        return measure(buf);
    }
    PushFrame f;
    std::size_t pos = head.size();
    Kind k = Kind::message;
    if (pattern) k = bulk(buf, pos, f.pattern, pos);
    if (k == Kind::message) k = bulk(buf, pos, f.channel, pos);
    if (k == Kind::message) k = bulk(buf, pos, f.data, pos);
    if (k == Kind::incomplete) {
        PushFrame waiting;
        if (pos > buf.size()) waiting.needed = pos;  // a header said how long its body is
        return waiting;
    }
    if (k == Kind::other) return measure(buf);  // e.g. a null bulk: not a message we know
    f.kind = Kind::message;
    f.size = pos;
    return f;
}

}  // namespace rbus
