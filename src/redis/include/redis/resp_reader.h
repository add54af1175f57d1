// The one RESP reader: every reply rbus reads (RESP2, and the RESP3 types a
// server may send) is looked at in place in the buffer it arrived in
// (scan_frame); the hot frames need nothing more (a pub/sub message's spans,
// an integer or error reply's value), any other is built into a Reply tree
// (build_reply). hiredis is used for its reply struct and type constants only:
// no hiredis code reads bytes.
#pragma once

#include <hiredis/hiredis.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace rbus {

// Frees a reply build_reply made, with its strings and elements.
void free_reply(redisReply* r);
struct ReplyDeleter {
    void operator()(redisReply* r) const { free_reply(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

inline std::string_view reply_text(const redisReply* r) {
    return r && r->str ? std::string_view(r->str, r->len) : std::string_view();
}

struct RespFrame {
    enum class Kind {
        incomplete,  // the buffer ends inside the frame: read more
        message,     // a pub/sub message or pmessage push: channel, data (and pattern) set
        integer,     // an integer reply (`:12`): integer set
        error,       // an error reply (`-ERR …`, or RESP3 `!`): text set
        other,       // a whole frame of another kind: build_reply() makes it a Reply
        malformed,   // not RESP: reason says why
    };
    Kind kind = Kind::incomplete;
    std::size_t size = 0;  // bytes of a whole frame
    // incomplete: the bytes the frame takes at least, as its length headers
    // read so far say (a "$9999999999" says so before its body arrives), or 0.
    std::size_t needed = 0;
    std::string_view channel, data, pattern;  // message
    long long integer = 0;                    // integer
    std::string_view text;                    // error
    const char* reason = "";                  // malformed
};

// Looks at the frame that starts at buf[0]; the views point into buf.
RespFrame scan_frame(std::string_view buf);

// scan_frame for a frame that arrives a read at a time: an incomplete frame
// is scanned on from the element where the last call stopped, so a large
// reply of many elements is walked once, not once per read. buf must start
// with the same frame (more of it) until the frame is whole or malformed;
// reset() when the bytes scanned so far are dropped.
class RespScanner {
public:
    RespFrame scan(std::string_view buf);
    void reset() {
        pos_ = 0;
        depth_ = 0;
        left_[0] = 1;
        mid_frame_ = false;
    }
    // For a frame too large to hold: the bytes scanned so far (whole elements)
    // are dropped by the caller, and the scan goes on from what follows them.
    // The frame then found whole is for skipping: only its `size` (of the
    // bytes since the last forget) holds; its kind and views do not, since
    // its first byte is gone.
    std::size_t scanned() const { return pos_; }
    void forget_scanned() {
        pos_ = 0;
        mid_frame_ = true;
    }

    static constexpr int kMaxDepth = 64;  // deeper nesting is malformed (hiredis stops at 7)

private:
    RespFrame measure(std::string_view buf);
    RespFrame fail(const char* why);

    std::size_t pos_ = 0;  // where the next element starts
    int depth_ = 0;
    std::int64_t left_[kMaxDepth + 1] = {1};  // elements still to read per level
    bool mid_frame_ = false;                   // pos_ 0 is not a frame's start (forget_scanned)
};

// The reply tree of a whole frame that scan_frame did not call malformed
// (its first `size` bytes). RESP3 types become what a RESP2 server sends for
// the same reply: map, set and push an array (a map's keys and values
// alternating), null a nil, boolean an integer 0 or 1, double, big number and
// verbatim string a string (verbatim without its "txt:" format), blob error an
// error; an attribute is skipped (its reply is the value that follows it).
Reply build_reply(std::string_view frame);

}  // namespace rbus
