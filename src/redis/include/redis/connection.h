// A Redis connection: hiredis's reader and formatter over a Transport of ours.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "redis/resp_frame.h"
#include "redis/transport.h"

namespace rbus {

struct ReplyDeleter {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

struct ReaderDeleter {
    void operator()(redisReader* r) const { redisReaderFree(r); }
};

inline std::string_view reply_text(const redisReply* r) {
    return r && r->str ? std::string_view(r->str, r->len) : std::string_view();
}

// The integer of a reply to `command` (PUBLISH, NUMPAT, ...); any other kind
// of reply is a ProtocolError naming the command.
long long integer_of(const redisReply* r, std::string_view command);

// Appends one command as binary-safe RESP, byte for byte what redisFormatCommandArgv
// writes, without its allocations: *N, then $len and the bytes of each argument.
void append_resp(std::string& out, const std::string_view* args, std::size_t count);

// A reply to a command that answers with an integer (PUBLISH, INCR) or an error,
// read without building a redisReply.
struct IntegerReply {
    bool error = false;
    long long value = 0;
    std::string text;  // the error's text
};

class Connection {
public:
    explicit Connection(std::unique_ptr<Transport> transport);

    // Queues one command (binary safe); nothing is sent until flush().
    void append(const std::vector<std::string_view>& args);
    void append(std::initializer_list<std::string_view> args);
    // Appends bytes that already are RESP commands (see append_resp).
    void append_raw(std::string_view resp) { out_.append(resp); }
    void flush(Deadline deadline);
    std::size_t pending_bytes() const { return out_.size(); }
    // No reply larger than this is buffered: read_reply throws ProtocolError
    // once that many bytes arrived without a whole reply (default 32 MiB).
    void set_max_reply_bytes(std::size_t n) { max_reply_bytes_ = n; }

    // The next reply, or nullptr when the deadline passed (or a signal came)
    // before a whole reply arrived. Throws IoError / ProtocolError.
    Reply read_reply(Deadline deadline);
    // A reply already buffered, without touching the transport.
    Reply buffered_reply();
    // A reply from bytes the caller read from transport() itself (the
    // Subscriber, which parses pub/sub messages in place in its own buffer),
    // through this connection's one reader: nullptr when they hold no whole
    // reply yet (kept for the next call). Throws ProtocolError.
    Reply parse_reply(std::string_view bytes);
    // read_reply for pipelines of PUBLISH / INCR: an integer or an error reply, or
    // nullopt when the deadline passed (or a signal came) first. Any other kind of
    // reply is a ProtocolError. Mixes freely with read_reply.
    std::optional<IntegerReply> read_integer_reply(Deadline deadline);
    // The next reply as its RESP bytes, without building a redisReply (a
    // large reply read in place: XRANGE pages), or nullopt when the deadline
    // passed (or a signal came) first. The bytes hold until the next read.
    // Not after a read_reply that stopped inside a reply (ProtocolError).
    std::optional<std::string_view> read_frame(Deadline deadline);

    // A reply not waited for (CLIENT SETNAME sent along with the first real command,
    // saving a round trip): the next read takes it first and hands it to check, which
    // may throw (e.g. ConnectError). Deferred replies are taken in order. With a
    // bound, a deferred reply that does not come within it (counted from the first
    // read that waits for it) throws TimeoutError, whatever the caller's deadline:
    // a server that accepts but never answers is caught by --connect-timeout.
    using ReplyCheck = std::function<void(const redisReply&)>;
    void defer_reply(ReplyCheck check, std::chrono::milliseconds bound = std::chrono::milliseconds(0)) {
        deferred_.push_back(Deferred{std::move(check), bound});
    }

    // append + flush + read; a timeout throws TimeoutError, an error reply ReplyError.
    Reply command(const std::vector<std::string_view>& args, std::chrono::milliseconds timeout);

    Transport& transport() { return *transport_; }
    std::string peer() const { return transport_->peer(); }

private:
    std::unique_ptr<Transport> transport_;
    std::unique_ptr<redisReader, ReaderDeleter> reader_;
    // Bytes read by read_integer_reply and not yet used: handed to the hiredis
    // reader before it reads again.
    void hand_over_to_reader();
    // Unused bytes of the hiredis reader taken back, when it is between replies.
    void take_back_from_reader();
    std::optional<IntegerReply> parse_integer_reply();
    Reply next_buffered();
    Reply read_next(Deadline deadline);
    // Takes the deferred replies; false when the deadline passed first.
    bool take_deferred(Deadline deadline);

    std::string out_;
    std::vector<char> in_;
    std::size_t max_reply_bytes_ = 32 * 1024 * 1024;
    std::size_t unanswered_ = 0;  // bytes read since the last whole reply
    std::string raw_in_;  // read_integer_reply's buffer
    std::size_t raw_pos_ = 0;
    FrameMeter frame_;  // read_frame's progress through the reply at raw_pos_
    struct Deferred {
        ReplyCheck check;
        std::chrono::milliseconds bound;
    };
    std::deque<Deferred> deferred_;
};

}  // namespace rbus
