#include "bus/subscriber.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "base/error.h"
#include "base/log.h"
#include "redis/push_frame.h"
#include "redis/sentinel.h"
#include "base/signals.h"
#include "event/envelope.h"  // Json

namespace rbus {

bool is_glob(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

std::vector<Subscription> subscriptions_for(const Context& ctx, const std::vector<std::string>& types, bool all) {
    std::vector<Subscription> subs;
    // --channel names are full channels, outside the prefix.
    for (const std::string& c : ctx.channels) subs.push_back({c, is_glob(c)});
    if (all || (types.empty() && ctx.channels.empty())) {
        subs.push_back({ctx.channel_for("*"), true});
        return subs;
    }
    for (const std::string& t : types) {
        if (t.empty()) throw UsageError("empty event type or pattern");
        for (char ch : t)
            if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f || ch == ' ')
                throw UsageError(fmt::format("invalid event type or pattern \"{}\": contains a space or control character",
                                             Json(t).dump(-1, ' ', true, Json::error_handler_t::replace)));
        std::string type = ctx.type_from(t);
        subs.push_back({ctx.channel_for(type), is_glob(type)});
    }
    return subs;
}

Subscriber::Subscriber(ConnectOptions options, std::string client_name, std::vector<Subscription> subs,
                       ConnectionMaker connect)
    : options_(std::move(options)), client_name_(std::move(client_name)), subs_(std::move(subs)),
      connect_(std::move(connect)) {}

namespace {
constexpr std::size_t kReadSize = 256 * 1024;  // one read, and about one burst of output
}  // namespace

void Subscriber::close() {
    conn_.reset();
    pos_ = len_ = 0;
}

std::size_t Subscriber::read_more(Deadline deadline) {
    if (pos_ == len_) {
        pos_ = len_ = 0;
        // After a large message, give the memory back.
        if (buf_.size() > 4 * kReadSize) std::vector<char>(kReadSize).swap(buf_);
    }
    refuse_oversized(len_ - pos_);  // only the start of one frame is buffered here
    if (buf_.size() - len_ < kReadSize / 2) {
        if (pos_ > 0) {  // only the start of a frame is left: move it to the front
            std::memmove(buf_.data(), buf_.data() + pos_, len_ - pos_);
            len_ -= pos_;
            pos_ = 0;
        }
        if (buf_.size() - len_ < kReadSize / 2) buf_.resize(std::max(buf_.size() * 2, len_ + kReadSize));
    }
    std::size_t n = conn_->transport().read_some(buf_.data() + len_, buf_.size() - len_, deadline);
    len_ += n;
    return n;
}

void Subscriber::refuse_oversized(std::size_t frame_bytes) const {
    // A frame whose length header says it is too large is refused before its
    // body is read; one without such a header, once that much is buffered.
    if (frame_bytes > options_.max_reply_bytes)
        throw ProtocolError(fmt::format("a message from {} is larger than {} bytes: not read", conn_->peer(),
                                        options_.max_reply_bytes));
}

void Subscriber::protocol_error() {
    // The connection's reader says what is wrong (ProtocolError with its
    // reason); bytes it takes for a reply are just not what was expected here.
    conn_->parse_reply(unread());
    throw ProtocolError(fmt::format("protocol error from {}: unexpected bytes", conn_->peer()));
}

void Subscriber::start() {
    conn_ = connect_ ? connect_() : connect_bus(options_, client_name_);
    pos_ = len_ = 0;
    if (buf_.size() != kReadSize) std::vector<char>(kReadSize).swap(buf_);
    std::vector<std::string_view> channels{"SUBSCRIBE"}, patterns{"PSUBSCRIBE"};
    for (const auto& s : subs_) (s.pattern ? patterns : channels).push_back(s.name);
    if (channels.size() > 1) conn_->append(channels);
    if (patterns.size() > 1) conn_->append(patterns);
    Deadline deadline = deadline_after(options_.connect_timeout);
    conn_->flush(deadline);
    // Frames are looked at, not consumed: poll() hands out the messages among
    // them (and skips the confirmations) later. `seen` counts from pos_.
    std::size_t confirmed = 0, seen = 0;
    while (confirmed < subs_.size()) {
        PushFrame f = next_push_frame(unread().substr(seen));
        if (f.kind == PushFrame::Kind::incomplete) {
            if (f.needed > 0) refuse_oversized(seen + f.needed);
            if (read_more(deadline) == 0) {
                throw_if_interrupted();
                if (deadline && Clock::now() >= *deadline)
                    throw TimeoutError(fmt::format("{} did not confirm the subscriptions in time", conn_->peer()));
            }
            continue;
        }
        if (f.kind == PushFrame::Kind::malformed) protocol_error();
        if (f.kind == PushFrame::Kind::other) {
            Reply r = read_other(unread().substr(seen, f.size));
            if (r && r->type == REDIS_REPLY_ERROR)
                throw ConnectError(fmt::format("subscribe refused by {}: {}", conn_->peer(), reply_text(r.get())));
            if (r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1) {
                std::string_view kind = reply_text(r->element[0]);
                if (kind == "subscribe" || kind == "psubscribe") ++confirmed;
            }
        }
        seen += f.size;
    }
    logger().debug("subscribed to {} channel(s)/pattern(s) on {}", subs_.size(), conn_->peer());
}

bool Subscriber::dispatch(redisReply* r, const std::function<bool(const BusMessage&)>& on_message) {
    if (r->type == REDIS_REPLY_ERROR) throw IoError(fmt::format("{}: {}", conn_->peer(), reply_text(r)));
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 3) return true;
    std::string_view kind = reply_text(r->element[0]);
    if (kind == "message")
        return on_message(BusMessage{reply_text(r->element[1]), reply_text(r->element[2]), {}});
    if (kind == "pmessage" && r->elements >= 4)
        return on_message(BusMessage{reply_text(r->element[2]), reply_text(r->element[3]), reply_text(r->element[1])});
    return true;  // pong and (un)subscribe confirmations
}

void Subscriber::ping() {
    if (!conn_) throw IoError("not connected");
    conn_->append({"PING"});
    conn_->flush(deadline_after(options_.reply_timeout));
    // A failover can move the master without closing this connection.
    if (options_.url.scheme == UrlScheme::sentinel) check_sentinel_master(options_, conn_->peer());
}

Subscriber::Wake Subscriber::poll(Deadline deadline, const std::function<bool(const BusMessage&)>& on_message) {
    if (!conn_) throw IoError("not connected");
    for (;;) {
        bool any = false;
        for (;;) {
            PushFrame f = next_push_frame(unread());
            if (f.kind == PushFrame::Kind::incomplete) {
                refuse_oversized(f.needed);
                break;
            }
            if (f.kind == PushFrame::Kind::malformed) protocol_error();
            std::string_view frame = unread().substr(0, f.size);
            pos_ += f.size;  // the views stay valid: the buffer moves only in read_more()
            any = true;
            if (f.kind == PushFrame::Kind::message) {
                if (!on_message(BusMessage{f.channel, f.data, f.pattern})) return Wake::messages;
            } else if (Reply r = read_other(frame); r && !dispatch(r.get(), on_message)) {
                return Wake::messages;
            }
        }
        if (any) return Wake::messages;
        if (read_more(deadline) == 0) {
            if (deadline && Clock::now() >= *deadline) return Wake::deadline;
            return Wake::interrupted;
        }
    }
}

}  // namespace rbus
