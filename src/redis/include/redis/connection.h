// A Redis connection over a Transport of ours: commands written as RESP
// (append_resp), replies read in place from its input buffer by the one RESP
// reader (resp_reader.h).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "redis/resp_reader.h"
#include "redis/transport.h"

namespace rbus {

// The integer of a reply to `command` (PUBLISH, NUMPAT, ...); any other kind
// of reply is a ProtocolError naming the command.
long long integer_of(const redisReply* r, std::string_view command);

// Appends one command as binary-safe RESP, byte for byte what hiredis's
// redisFormatCommandArgv writes: *N, then $len and the bytes of each argument.
void append_resp(std::string& out, const std::string_view* args, std::size_t count);

// A reply to a command that answers with an integer (PUBLISH, INCR) or an error,
// read in place, without building a Reply.
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
    std::size_t max_reply_bytes() const { return max_reply_bytes_; }

    // The next reply, or nullptr when the deadline passed (or a signal came)
    // before a whole reply arrived. Throws IoError / ProtocolError.
    Reply read_reply(Deadline deadline);
    // A reply already buffered, without touching the transport.
    Reply buffered_reply();
    // read_reply for pipelines of PUBLISH / INCR: an integer or an error reply, or
    // nullopt when the deadline passed (or a signal came) first. Any other kind of
    // reply is a ProtocolError. Mixes freely with read_reply.
    std::optional<IntegerReply> read_integer_reply(Deadline deadline);
    // The next reply as its RESP bytes, without building a Reply (a large
    // reply read in place: XRANGE pages), or nullopt when the deadline passed
    // (or a signal came) first. The bytes hold until the next read_more (any
    // read that has to wait for bytes). Mixes freely with read_reply.
    std::optional<std::string_view> read_frame(Deadline deadline);

    // The input buffer, for a reader that looks at the frames itself (the
    // Subscriber hands out pub/sub messages as views into it): the bytes
    // received and not yet consumed. Views into it stay valid until the next
    // read_more().
    std::string_view unread() const { return {in_.get() + pos_, len_ - pos_}; }
    // Drops the first n bytes of unread() (whole frames).
    void consume(std::size_t n) {
        pos_ += n;
        scanner_.reset();
    }
    // Appends what the transport has (at least a byte) to the buffer; 0 when
    // the deadline passed or a signal came first. Throws IoError.
    std::size_t read_more(Deadline deadline);
    // After a ReplyTooLarge: reads past the rest of that reply, holding no
    // more than a read (and one element) of it at a time, so that the
    // connection goes on with the reply after it. Throws ProtocolError when
    // one element alone is past the bound, TimeoutError, Interrupted.
    void skip_frame(Deadline deadline);
    // How much read_more asks the transport for at a time (default 64 KiB).
    void set_read_size(std::size_t n) { read_size_ = n; }

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
    // The next whole frame of unread() (consumed and built when it is not
    // malformed), or kind incomplete. Throws ProtocolError.
    RespFrame next_frame();
    Reply next_buffered();
    Reply read_next(Deadline deadline);
    // Takes the deferred replies; false when the deadline passed first.
    bool take_deferred(Deadline deadline);
    [[noreturn]] void protocol_error(const RespFrame& f) const;

    std::string out_;
    // Moves what is unread to a room of `size` bytes (not zeroed: a large
    // buffer grows without writing it twice, nor touching pages not yet read into).
    void regrow(std::size_t size);
    // Received bytes: in_[pos_, len_) not yet consumed, in a room of cap_.
    std::unique_ptr<char[]> in_;
    std::size_t cap_ = 0, pos_ = 0, len_ = 0;
    std::size_t read_size_ = 64 * 1024;
    RespScanner scanner_;  // where the scan of an incomplete frame at pos_ stopped
    std::size_t max_reply_bytes_ = 32 * 1024 * 1024;
    struct Deferred {
        ReplyCheck check;
        std::chrono::milliseconds bound;
    };
    std::deque<Deferred> deferred_;
};

}  // namespace rbus
