#include "subscriber.h"

#include <fmt/format.h>

#include "error.h"
#include "log.h"

namespace rbus {

bool is_glob(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

std::vector<Subscription> subscriptions_for(const Context& ctx, const std::vector<std::string>& types, bool all) {
    std::vector<Subscription> subs;
    if (all || types.empty()) {
        subs.push_back({ctx.channel_for("*"), true});
        return subs;
    }
    for (const std::string& t : types) {
        if (t.empty()) throw UsageError("empty event type or pattern");
        for (char ch : t)
            if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f || ch == ' ')
                throw UsageError(fmt::format("invalid event type or pattern \"{}\": contains a space or control character",
                                             Json(t).dump(-1, ' ', true, Json::error_handler_t::replace)));
        subs.push_back({ctx.channel_for(t), is_glob(t)});
    }
    return subs;
}

Subscriber::Subscriber(ConnectOptions options, std::string client_name, std::vector<Subscription> subs)
    : options_(std::move(options)), client_name_(std::move(client_name)), subs_(std::move(subs)) {}

void Subscriber::start() {
    conn_ = connect_bus(options_, client_name_);
    std::vector<std::string_view> channels{"SUBSCRIBE"}, patterns{"PSUBSCRIBE"};
    for (const auto& s : subs_) (s.pattern ? patterns : channels).push_back(s.name);
    if (channels.size() > 1) conn_->append(channels);
    if (patterns.size() > 1) conn_->append(patterns);
    Deadline deadline = deadline_after(options_.connect_timeout);
    conn_->flush(deadline);
    std::size_t confirmed = 0;
    while (confirmed < subs_.size()) {
        Reply r = conn_->read_reply(deadline);
        if (!r) {
            if (deadline && Clock::now() >= *deadline)
                throw TimeoutError(fmt::format("{} did not confirm the subscriptions in time", conn_->peer()));
            continue;
        }
        if (r->type == REDIS_REPLY_ERROR)
            throw ConnectError(fmt::format("subscribe refused by {}: {}", conn_->peer(), reply_text(r.get())));
        if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1) {
            std::string_view kind = reply_text(r->element[0]);
            if (kind == "subscribe" || kind == "psubscribe") ++confirmed;
            else if (kind == "message" || kind == "pmessage") early_.push_back(std::move(r));
        }
    }
    logger().debug(fmt::format("subscribed to {} channel(s)/pattern(s) on {}", subs_.size(), conn_->peer()));
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
}

Subscriber::Wake Subscriber::poll(Deadline deadline, const std::function<bool(const BusMessage&)>& on_message) {
    if (!early_.empty()) {
        std::vector<Reply> early = std::move(early_);
        early_.clear();
        for (std::size_t i = 0; i < early.size(); ++i)
            if (!dispatch(early[i].get(), on_message)) {
                for (std::size_t j = i + 1; j < early.size(); ++j) early_.push_back(std::move(early[j]));
                break;
            }
        return Wake::messages;
    }
    Reply first = conn_->read_reply(deadline);
    if (!first) {
        if (deadline && Clock::now() >= *deadline) return Wake::deadline;
        return Wake::interrupted;
    }
    if (!dispatch(first.get(), on_message)) return Wake::messages;
    while (Reply r = conn_->buffered_reply())
        if (!dispatch(r.get(), on_message)) break;
    return Wake::messages;
}

}  // namespace rbus
