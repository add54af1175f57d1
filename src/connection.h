// A Redis connection: hiredis's reader and formatter over a Transport of ours.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "transport.h"

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

class Connection {
public:
    explicit Connection(std::unique_ptr<Transport> transport);

    // Queues one command (binary safe); nothing is sent until flush().
    void append(const std::vector<std::string_view>& args);
    void flush(Deadline deadline);
    std::size_t pending_bytes() const { return out_.size(); }

    // The next reply, or nullptr when the deadline passed (or a signal came)
    // before a whole reply arrived. Throws IoError / ProtocolError.
    Reply read_reply(Deadline deadline);
    // A reply already buffered, without touching the transport.
    Reply buffered_reply();

    // append + flush + read; a timeout throws TimeoutError, an error reply ReplyError.
    Reply command(const std::vector<std::string_view>& args, std::chrono::milliseconds timeout);

    Transport& transport() { return *transport_; }
    std::string peer() const { return transport_->peer(); }

private:
    std::unique_ptr<Transport> transport_;
    std::unique_ptr<redisReader, ReaderDeleter> reader_;
    std::string out_;
    std::vector<char> in_;
};

}  // namespace rbus
