#include "redis/connection.h"

#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "base/error.h"

namespace rbus {

long long integer_of(const redisReply* r, std::string_view command) {
    if (!r || r->type != REDIS_REPLY_INTEGER)
        throw ProtocolError(fmt::format("unexpected reply to {}: not an integer", command));
    return r->integer;
}

Connection::Connection(std::unique_ptr<Transport> transport)
    : transport_(std::move(transport)), reader_(redisReaderCreate()), in_(64 * 1024) {
    if (!reader_) throw Error("out of memory creating the reply reader");
}

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

Reply Connection::next_buffered() {
    hand_over_to_reader();
    void* raw = nullptr;
    if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK)
        throw ProtocolError(fmt::format("protocol error from {}: {}", peer(), reader_->errstr));
    return Reply(static_cast<redisReply*>(raw));
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
        if (Reply r = next_buffered()) {
            unanswered_ = 0;
            return r;
        }
        std::size_t n = transport_->read_some(in_.data(), in_.size(), deadline);
        if (n == 0) return nullptr;
        // Whatever the length headers say (a "$9999999999"), no reply is buffered past the bound.
        unanswered_ += n;
        if (unanswered_ > max_reply_bytes_)
            throw ProtocolError(fmt::format("a reply from {} is larger than {} bytes: not read", peer(), max_reply_bytes_));
        if (redisReaderFeed(reader_.get(), in_.data(), n) != REDIS_OK)
            throw ProtocolError(fmt::format("protocol error from {}: {}", peer(), reader_->errstr));
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

void Connection::hand_over_to_reader() {
    if (raw_pos_ >= raw_in_.size()) return;
    if (redisReaderFeed(reader_.get(), raw_in_.data() + raw_pos_, raw_in_.size() - raw_pos_) != REDIS_OK)
        throw ProtocolError(fmt::format("protocol error from {}: {}", peer(), reader_->errstr));
    raw_in_.clear();
    raw_pos_ = 0;
    frame_.reset();
}

void Connection::take_back_from_reader() {
    redisReader* r = reader_.get();
    if (r->ridx != -1 || r->len <= r->pos) return;  // mid-reply (read_integer_reply lets hiredis finish), or nothing left
    raw_in_.append(r->buf + r->pos, r->len - r->pos);
    r->pos = r->len;
}

std::optional<IntegerReply> Connection::parse_integer_reply() {
    const std::size_t avail = raw_in_.size() - raw_pos_;
    if (avail == 0) return std::nullopt;
    const char* p = raw_in_.data() + raw_pos_;
    const char* crlf = static_cast<const char*>(memchr(p, '\r', avail));
    if (!crlf || static_cast<std::size_t>(crlf - p) + 1 >= avail) {
        if (avail > 64 * 1024) throw ProtocolError(fmt::format("protocol error from {}: reply line too long", peer()));
        return std::nullopt;  // not all here yet
    }
    std::string_view line(p + 1, static_cast<std::size_t>(crlf - p) - 1);
    if (crlf[1] != '\n') throw ProtocolError(fmt::format("protocol error from {}: bad line end", peer()));
    IntegerReply r;
    if (*p == ':') {
        auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), r.value);
        if (ec != std::errc() || end != line.data() + line.size())
            throw ProtocolError(fmt::format("protocol error from {}: bad integer reply", peer()));
    } else if (*p == '-') {
        r.error = true;
        r.text.assign(line);
    } else {
        throw ProtocolError(fmt::format("protocol error from {}: expected an integer reply, got '{}'", peer(),
                                        *p >= 0x20 && *p < 0x7f ? *p : '?'));
    }
    raw_pos_ += static_cast<std::size_t>(crlf - p) + 2;
    return r;
}

std::optional<IntegerReply> Connection::read_integer_reply(Deadline deadline) {
    if (!take_deferred(deadline)) return std::nullopt;
    if (reader_->ridx != -1) {  // read_reply stopped in the middle of a reply: hiredis finishes it
        Reply r = read_next(deadline);
        if (!r) return std::nullopt;
        IntegerReply out;
        if (r->type == REDIS_REPLY_ERROR) {
            out.error = true;
            out.text.assign(reply_text(r.get()));
        } else if (r->type == REDIS_REPLY_INTEGER) {
            out.value = r->integer;
        } else {
            throw ProtocolError(fmt::format("protocol error from {}: expected an integer reply", peer()));
        }
        return out;
    }
    take_back_from_reader();
    for (;;) {
        if (auto r = parse_integer_reply()) return r;
        if (raw_pos_ > 0) {
            raw_in_.erase(0, raw_pos_);
            raw_pos_ = 0;
        }
        std::size_t n = transport_->read_some(in_.data(), in_.size(), deadline);
        if (n == 0) return std::nullopt;
        raw_in_.append(in_.data(), n);
    }
}

std::optional<std::string_view> Connection::read_frame(Deadline deadline) {
    if (!take_deferred(deadline)) return std::nullopt;
    if (reader_->ridx != -1) throw ProtocolError("a reply read as a frame after one left half read");
    take_back_from_reader();
    for (;;) {
        std::string_view rest(raw_in_.data() + raw_pos_, raw_in_.size() - raw_pos_);
        if (std::size_t size = frame_.measure(rest)) {
            frame_.reset();
            raw_pos_ += size;
            return rest.substr(0, size);
        }
        if (rest.size() > max_reply_bytes_)
            throw ProtocolError(fmt::format("a reply from {} is larger than {} bytes: not read", peer(), max_reply_bytes_));
        if (raw_pos_ > 0) {  // the frame so far moves to the front; the meter counts from the frame's start
            raw_in_.erase(0, raw_pos_);
            raw_pos_ = 0;
        }
        std::size_t n = transport_->read_some(in_.data(), in_.size(), deadline);
        if (n == 0) return std::nullopt;
        raw_in_.append(in_.data(), n);
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

Reply Connection::parse_reply(std::string_view bytes) {
    void* raw = nullptr;
    if (redisReaderFeed(reader_.get(), bytes.data(), bytes.size()) != REDIS_OK ||
        redisReaderGetReply(reader_.get(), &raw) != REDIS_OK)
        throw ProtocolError(fmt::format("protocol error from {}: {}", peer(), reader_->errstr));
    return Reply(static_cast<redisReply*>(raw));
}

}  // namespace rbus
