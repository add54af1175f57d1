#include "bus/subscriber.h"

#include <algorithm>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "base/error.h"
#include "base/log.h"
#include "redis/resp_reader.h"
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

void Subscriber::close() { conn_.reset(); }

void Subscriber::refuse_oversized(std::size_t frame_bytes) const {
    // A frame whose length header says it is too large is refused before its
    // body is read; one without such a header, once that much is buffered.
    if (frame_bytes > options_.max_reply_bytes)
        throw ProtocolError(fmt::format("a message from {} is larger than {} bytes: not read", conn_->peer(),
                                        options_.max_reply_bytes));
}

void Subscriber::protocol_error(const RespFrame& f) const {
    throw ProtocolError(fmt::format("protocol error from {}: {}", conn_->peer(), f.reason));
}

void Subscriber::start() {
    conn_ = connect_ ? connect_() : connect_bus(options_, client_name_);
    conn_->set_read_size(kReadSize);
    std::vector<std::string_view> channels{"SUBSCRIBE"}, patterns{"PSUBSCRIBE"};
    for (const auto& s : subs_) (s.pattern ? patterns : channels).push_back(s.name);
    if (channels.size() > 1) conn_->append(channels);
    if (patterns.size() > 1) conn_->append(patterns);
    Deadline deadline = deadline_after(options_.connect_timeout);
    conn_->flush(deadline);
    // Frames are looked at, not consumed: poll() hands out the messages among
    // them (and skips the confirmations) later. `seen` counts from the start of unread().
    std::size_t confirmed = 0, seen = 0;
    while (confirmed < subs_.size()) {
        RespFrame f = scan_frame(conn_->unread().substr(seen));
        if (f.kind == RespFrame::Kind::incomplete) {
            refuse_oversized(std::max(seen + f.needed, conn_->unread().size()));
            if (conn_->read_more(deadline) == 0) {
                throw_if_interrupted();
                if (deadline && Clock::now() >= *deadline)
                    throw TimeoutError(fmt::format("{} did not confirm the subscriptions in time", conn_->peer()));
            }
            continue;
        }
        if (f.kind == RespFrame::Kind::malformed) protocol_error(f);
        if (f.kind != RespFrame::Kind::message) {
            Reply r = build_reply(conn_->unread().substr(seen, f.size));
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

bool Subscriber::absorb(Deadline until) {
    if (!conn_ || conn_->unread().size() >= kAbsorbAtMost) return false;
    // Nothing before the deadline: a transport that does not wait (a test's)
    // is not asked again at once.
    if (conn_->read_more(until) == 0 && until && Clock::now() < *until) std::this_thread::sleep_until(*until);
    return true;
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
            RespFrame f = scan_frame(conn_->unread());
            if (f.kind == RespFrame::Kind::incomplete) {
                refuse_oversized(std::max(f.needed, conn_->unread().size()));
                break;
            }
            if (f.kind == RespFrame::Kind::malformed) protocol_error(f);
            std::string_view frame = conn_->unread().substr(0, f.size);
            conn_->consume(f.size);  // the views stay valid: the buffer moves only in read_more()
            any = true;
            if (f.kind == RespFrame::Kind::message) {
                if (!on_message(BusMessage{f.channel, f.data, f.pattern})) return Wake::messages;
            } else if (Reply r = build_reply(frame); !dispatch(r.get(), on_message)) {
                return Wake::messages;
            }
        }
        if (any) return Wake::messages;
        if (conn_->read_more(deadline) == 0) {
            if (deadline && Clock::now() >= *deadline) return Wake::deadline;
            return Wake::interrupted;
        }
    }
}

}  // namespace rbus
