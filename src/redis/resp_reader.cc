#include "redis/resp_reader.h"

#include <charconv>
#include <cstdint>
#include <new>

#include "base/text.h"

namespace rbus {
namespace {

using Kind = RespFrame::Kind;

// Longer length fields than this are not RESP from a sane server (512 MB is Redis's cap).
constexpr std::int64_t kMaxLength = std::int64_t{1} << 40;

RespFrame malformed(const char* why) {
    RespFrame f;
    f.kind = Kind::malformed;
    f.reason = why;
    return f;
}

enum class Line { incomplete, ok, bad };

// The length or count of a header line (after its type byte) at buf[pos],
// and the offset past its CRLF.
Line header_number(std::string_view buf, std::size_t pos, std::int64_t& value, std::size_t& next) {
    std::size_t cr = buf.find('\r', pos);
    if (cr == npos || cr + 1 >= buf.size()) return Line::incomplete;
    if (buf[cr + 1] != '\n') return Line::bad;
    std::size_t i = pos;
    bool negative = i < cr && buf[i] == '-';
    if (negative) ++i;
    if (i == cr) return Line::bad;
    std::int64_t v = 0;
    for (; i < cr; ++i) {
        if (buf[i] < '0' || buf[i] > '9' || v > kMaxLength) return Line::bad;
        v = v * 10 + (buf[i] - '0');
    }
    value = negative ? -v : v;
    next = cr + 2;
    return Line::ok;
}

// A simple line (`+OK`, `:12`, `-ERR …`, RESP3 `_`, `#t`, `,1.5`, `(123`) at
// buf[pos]: its text, and the offset past its CRLF. A line ends at CRLF; a
// bare LF is not RESP.
Line simple_line(std::string_view buf, std::size_t pos, std::string_view& text, std::size_t& next) {
    std::size_t lf = buf.find('\n', pos + 1);
    if (lf == npos) return Line::incomplete;
    if (buf[lf - 1] != '\r') return Line::bad;
    text = buf.substr(pos + 1, lf - 1 - (pos + 1));
    next = lf + 1;
    return Line::ok;
}

bool parse_integer(std::string_view s, long long& v) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

// A bulk string `$N\r\n…\r\n` of a message at pos: its body and the offset past it.
// Kind::message when read, incomplete (with `next` the offset its header says
// it ends at, when the header is there), or other when it is not a plain bulk string.
Kind message_bulk(std::string_view buf, std::size_t pos, std::string_view& body, std::size_t& next) {
    if (pos >= buf.size()) return Kind::incomplete;
    if (buf[pos] != '$') return Kind::other;
    std::int64_t len = 0;
    std::size_t start = 0;
    Line l = header_number(buf, pos + 1, len, start);
    if (l == Line::incomplete) return Kind::incomplete;
    if (l == Line::bad || len < 0) return Kind::other;
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

// Building: the frame is whole and was scanned, so the structure is trusted.
struct Builder {
    std::string_view buf;
    std::size_t pos = 0;

    // A line ends where the scan said: at the first LF (after a CR); a CR
    // before it is part of the text, as in simple_line.
    std::string_view line() {
        std::size_t lf = buf.find('\n', pos + 1);
        std::string_view text = buf.substr(pos + 1, lf - 1 - (pos + 1));
        pos = lf + 1;
        return text;
    }
    long long number() {
        long long v = 0;
        std::string_view t = line();
        std::from_chars(t.data(), t.data() + t.size(), v);
        return v;
    }
    static Reply make(int type) {
        Reply r(new redisReply{});
        r->type = type;
        return r;
    }
    static void set_text(redisReply& r, std::string_view s) {
        r.str = new char[s.size() + 1];
        s.copy(r.str, s.size());
        r.str[s.size()] = '\0';
        r.len = s.size();
    }
    Reply text_reply(int type, std::string_view s) {
        Reply r = make(type);
        set_text(*r, s);
        return r;
    }

    Reply next() {
        while (buf[pos] == '|') {  // an attribute: built and dropped, its value follows
            long long n = number();
            for (long long i = 0; i < 2 * n; ++i) next();
        }
        const char type = buf[pos];
        switch (type) {
        case '+': return text_reply(REDIS_REPLY_STATUS, line());
        case '-': return text_reply(REDIS_REPLY_ERROR, line());
        case ',': case '(': return text_reply(REDIS_REPLY_STRING, line());
        case ':': case '#': {
            Reply r = make(REDIS_REPLY_INTEGER);
            if (type == '#') r->integer = line() == "t" ? 1 : 0;
            else r->integer = number();
            return r;
        }
        case '_': line(); return make(REDIS_REPLY_NIL);
        case '$': case '!': case '=': {
            long long n = number();
            if (n < 0) return make(REDIS_REPLY_NIL);
            std::string_view body = buf.substr(pos, static_cast<std::size_t>(n));
            pos += body.size() + 2;
            if (type == '=') body.remove_prefix(4);
            return text_reply(type == '!' ? REDIS_REPLY_ERROR : REDIS_REPLY_STRING, body);
        }
        default: {  // * % ~ >
            long long n = number();
            if (n < 0) return make(REDIS_REPLY_NIL);
            Reply r = make(REDIS_REPLY_ARRAY);
            auto count = static_cast<std::size_t>(type == '%' ? 2 * n : n);
            if (count > 0) {
                r->element = new redisReply*[count]{};
                r->elements = count;
                for (std::size_t i = 0; i < count; ++i) r->element[i] = next().release();
            }
            return r;
        }
        }
    }
};

}  // namespace

void free_reply(redisReply* r) {
    if (!r) return;
    for (std::size_t i = 0; i < r->elements; ++i) free_reply(r->element[i]);
    delete[] r->element;
    delete[] r->str;
    delete r;
}

namespace {

// A message or pmessage push at buf[0]: true with f set (message or
// incomplete), false when the frame is something else.
bool scan_message(std::string_view buf, RespFrame& f) {
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
        f = {};  // too short to tell
        return true;
    } else {
        return false;
    }
    std::size_t pos = head.size();
    Kind k = Kind::message;
    if (pattern) k = message_bulk(buf, pos, f.pattern, pos);
    if (k == Kind::message) k = message_bulk(buf, pos, f.channel, pos);
    if (k == Kind::message) k = message_bulk(buf, pos, f.data, pos);
    if (k == Kind::incomplete) {
        f = {};
        if (pos > buf.size()) f.needed = pos;  // a header said how long its body is
        return true;
    }
    if (k == Kind::other) return false;  // e.g. a null bulk: not a message we know
    f.kind = Kind::message;
    f.size = pos;
    return true;
}

}  // namespace

RespFrame RespScanner::fail(const char* why) {
    reset();
    return malformed(why);
}

RespFrame RespScanner::scan(std::string_view buf) {
    if (pos_ == 0 && !mid_frame_) {
        RespFrame f;
        if (scan_message(buf, f)) return f;
    }
    return measure(buf);
}

RespFrame scan_frame(std::string_view buf) {
    RespFrame f;
    if (scan_message(buf, f)) return f;
    RespScanner s;
    return s.scan(buf);
}

// Any frame at buf[0], element by element from where the last call stopped;
// a count of elements still to read per level of nesting stands in for the tree.
RespFrame RespScanner::measure(std::string_view buf) {
    std::int64_t* left = left_;
    int& depth = depth_;
    std::size_t& pos = pos_;
    RespFrame f;  // a top-level integer or error: set in the call that completes the frame
    for (;;) {
        if (pos >= buf.size()) return {};
        const char type = buf[pos];
        const bool top = depth == 0;
        bool counts = true;  // an attribute is not an element: its value follows it
        std::int64_t children = 0;
        std::size_t next = 0;
        switch (type) {
        case '+': case '-': case ':': case '_': case '#': case ',': case '(': {
            std::string_view text;
            Line l = simple_line(buf, pos, text, next);
            if (l == Line::incomplete) return {};
            if (l == Line::bad) return fail("a line that does not end in CRLF");
            if (type == ':') {
                long long v = 0;
                if (!parse_integer(text, v)) return fail("an integer reply that is not a number");
                if (top) f.integer = v;
            } else if (type == '#') {
                if (text != "t" && text != "f") return fail("a boolean that is neither t nor f");
            } else if (type == '-' && top) {
                f.text = text;
            }
            break;
        }
        case '$': case '!': case '=': {
            std::int64_t len = 0;
            Line l = header_number(buf, pos + 1, len, next);
            if (l == Line::incomplete) return {};
            if (l == Line::bad) return fail("a bulk length that is not a number in range");
            if (len < 0) {
                if (type != '$' || len != -1) return fail("a negative length");
                break;  // a nil: $-1
            }
            auto n = static_cast<std::size_t>(len);
            if (buf.size() - next < n + 2) {
                RespFrame waiting;
                waiting.needed = next + n + 2;
                return waiting;
            }
            if (buf[next + n] != '\r' || buf[next + n + 1] != '\n') return fail("a bulk string longer than its length");
            if (type == '=' && (n < 4 || buf[next + 3] != ':')) return fail("a verbatim string without its format");
            if (type == '!' && top) f.text = buf.substr(next, n);
            next += n + 2;
            break;
        }
        case '*': case '%': case '~': case '>': case '|': {
            std::int64_t n = 0;
            Line l = header_number(buf, pos + 1, n, next);
            if (l == Line::incomplete) return {};
            if (l == Line::bad) return fail("an element count that is not a number in range");
            if (n < 0) {
                if (type != '*' || n != -1) return fail("a negative element count");
                break;  // a nil: *-1
            }
            children = type == '%' || type == '|' ? 2 * n : n;
            counts = type != '|';
            break;
        }
        default:
            return fail("a byte that starts no RESP type");
        }
        if (counts) --left[depth];
        pos = next;
        if (children > 0) {
            if (depth == kMaxDepth) return fail("arrays nested too deep");
            left[++depth] = children;
        }
        while (depth > 0 && left[depth] == 0) --depth;
        if (depth == 0 && left[0] == 0) break;
    }
    f.kind = buf[0] == ':' ? Kind::integer : buf[0] == '-' || buf[0] == '!' ? Kind::error : Kind::other;
    f.size = pos;
    reset();
    return f;
}

Reply build_reply(std::string_view frame) {
    Builder b{frame};
    return b.next();
}

}  // namespace rbus
