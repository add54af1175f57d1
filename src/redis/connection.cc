#include "redis/connection.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "base/error.h"
#include "base/signals.h"

namespace rbus {

long long integer_of(const redisReply* r, std::string_view command) {
    if (!r || r->type != REDIS_REPLY_INTEGER)
        throw ProtocolError(fmt::format("unexpected reply to {}: not an integer", command));
    return r->integer;
}

Connection::Connection(std::unique_ptr<Transport> transport) : transport_(std::move(transport)) {}

namespace {

void append_decimal(std::string& out, char tag, std::size_t n) {
    char buf[24];
    char* end = buf + sizeof buf;
    char* p = end;
    do {
        *--p = static_cast<char>('0' + n % 10);
        n /= 10;
    } while (n > 0);
    *--p = tag;
    out.append(p, static_cast<std::size_t>(end - p));
    out += "\r\n";
}

}  // namespace

void append_resp(std::string& out, const std::string_view* args, std::size_t count) {
    append_decimal(out, '*', count);
    for (std::size_t i = 0; i < count; ++i) {
        append_decimal(out, '$', args[i].size());
        out.append(args[i]);
        out += "\r\n";
    }
}

void Connection::append(const std::vector<std::string_view>& args) { append_resp(out_, args.data(), args.size()); }

void Connection::append(std::initializer_list<std::string_view> args) {
    append_resp(out_, args.begin(), args.size());
}

void Connection::flush(Deadline deadline) {
    if (out_.empty()) return;
    transport_->write_all(out_, deadline);
    out_.clear();
}

void Connection::protocol_error(const RespFrame& f) const {
    throw ProtocolError(fmt::format("protocol error from {}: {}", peer(), f.reason));
}

void Connection::regrow(std::size_t size) {
    std::unique_ptr<char[]> room = std::make_unique_for_overwrite<char[]>(size);
    if (len_ > pos_) std::memcpy(room.get(), in_.get() + pos_, len_ - pos_);
    len_ -= pos_;
    pos_ = 0;
    in_ = std::move(room);
    cap_ = size;
}

std::size_t Connection::read_more(Deadline deadline) {
    if (pos_ == len_) {
        pos_ = len_ = 0;
        // After a large reply, give the memory back.
        if (cap_ > 4 * read_size_) regrow(read_size_);
    }
    if (cap_ - len_ < read_size_ / 2) {
        if (pos_ > 0) {  // only the start of a frame is left: move it to the front
            std::memmove(in_.get(), in_.get() + pos_, len_ - pos_);
            len_ -= pos_;
            pos_ = 0;
        }
        if (cap_ - len_ < read_size_ / 2) regrow(std::max(cap_ * 2, len_ + read_size_));
    }
    std::size_t n = transport_->read_some(in_.get() + len_, cap_ - len_, deadline);
    len_ += n;
    return n;
}

void Connection::skip_frame(Deadline deadline) {
    for (;;) {
        RespFrame f = scanner_.scan(unread());
        if (f.kind == RespFrame::Kind::malformed) protocol_error(f);
        if (f.kind != RespFrame::Kind::incomplete) {
            consume(f.size);
            return;
        }
        const std::size_t done = scanner_.scanned();
        pos_ += done;  // whole elements: gone (the scan goes on, not anew as consume() has it)
        scanner_.forget_scanned();
        const std::size_t element = f.needed > done ? f.needed - done : 0;  // as its length header says
        if (element > max_reply_bytes_ || len_ - pos_ > max_reply_bytes_)  // one element past the bound
            throw ProtocolError(
                fmt::format("a reply from {} holds a value larger than {} bytes: not read", peer(), max_reply_bytes_));
        if (read_more(deadline) == 0) {
            throw_if_interrupted();
            if (deadline && Clock::now() >= *deadline)
                throw TimeoutError(fmt::format("no reply from {} in time", peer()));
        }
    }
}

RespFrame Connection::next_frame() {
    RespFrame f = scanner_.scan(unread());
    switch (f.kind) {
    case RespFrame::Kind::incomplete:
        // Whatever the length headers say (a "$9999999999"), no reply is buffered past the bound.
        if (f.needed > max_reply_bytes_ || len_ - pos_ > max_reply_bytes_)
            throw ReplyTooLarge(
                fmt::format("a reply from {} is larger than {} bytes: not read", peer(), max_reply_bytes_));
        return f;
    case RespFrame::Kind::malformed:
        protocol_error(f);
    default:
        return f;
    }
}

Reply Connection::next_buffered() {
    RespFrame f = next_frame();
    if (f.kind == RespFrame::Kind::incomplete) return nullptr;
    Reply r = build_reply(unread().substr(0, f.size));
    consume(f.size);
    return r;
}

Reply Connection::buffered_reply() {
    while (!deferred_.empty()) {
        Reply r = next_buffered();
        if (!r) return nullptr;
        ReplyCheck check = std::move(deferred_.front().check);
        deferred_.pop_front();
        check(*r);
    }
    return next_buffered();
}

Reply Connection::read_next(Deadline deadline) {
    for (;;) {
        if (Reply r = next_buffered()) return r;
        if (read_more(deadline) == 0) return nullptr;
    }
}

bool Connection::take_deferred(Deadline deadline) {
    while (!deferred_.empty()) {
        auto bound = deferred_.front().bound;
        Deadline wait = deadline;
        bool bounded = false;
        if (bound.count() > 0) {
            auto limit = Clock::now() + bound;
            if (!wait || limit < *wait) {
                wait = limit;
                bounded = true;
            }
        }
        Reply r = read_next(wait);
        if (!r) {
            if (bounded && Clock::now() >= *wait)
                throw TimeoutError(fmt::format("no reply from {} within {}ms", peer(), bound.count()));
            return false;
        }
        ReplyCheck check = std::move(deferred_.front().check);
        deferred_.pop_front();
        check(*r);
    }
    return true;
}

Reply Connection::read_reply(Deadline deadline) {
    if (!take_deferred(deadline)) return nullptr;
    return read_next(deadline);
}

std::optional<IntegerReply> Connection::read_integer_reply(Deadline deadline) {
    if (!take_deferred(deadline)) return std::nullopt;
    for (;;) {
        RespFrame f = next_frame();
        IntegerReply out;
        switch (f.kind) {
        case RespFrame::Kind::incomplete:
            if (read_more(deadline) == 0) return std::nullopt;
            continue;
        case RespFrame::Kind::integer:
            out.value = f.integer;
            break;
        case RespFrame::Kind::error:
            out.error = true;
            out.text.assign(f.text);
            break;
        default: {  // an integer behind a RESP3 attribute is still one
            Reply r = build_reply(unread().substr(0, f.size));
            if (r->type == REDIS_REPLY_INTEGER) {
                out.value = r->integer;
            } else if (r->type == REDIS_REPLY_ERROR) {
                out.error = true;
                out.text.assign(reply_text(r.get()));
            } else {
                throw ProtocolError(fmt::format("protocol error from {}: expected an integer reply", peer()));
            }
        }
        }
        consume(f.size);
        return out;
    }
}

std::optional<std::string_view> Connection::read_frame(Deadline deadline) {
    if (!take_deferred(deadline)) return std::nullopt;
    for (;;) {
        RespFrame f = next_frame();
        if (f.kind != RespFrame::Kind::incomplete) {
            std::string_view frame = unread().substr(0, f.size);
            consume(f.size);  // the bytes stay where they are until the next read_more
            return frame;
        }
        if (read_more(deadline) == 0) return std::nullopt;
    }
}

Reply Connection::command(const std::vector<std::string_view>& args, std::chrono::milliseconds timeout) {
    Deadline deadline = deadline_after(timeout);
    append(args);
    flush(deadline);
    for (;;) {
        Reply r = read_reply(deadline);
        if (r) {
            if (r->type == REDIS_REPLY_ERROR) throw ReplyError(std::string(reply_text(r.get())));
            return r;
        }
        if (deadline && Clock::now() >= *deadline)
            throw TimeoutError(fmt::format("no reply from {} within {}ms", peer(), timeout.count()));
    }
}

}  // namespace rbus
