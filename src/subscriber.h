// Receiving from the bus: SUBSCRIBE/PSUBSCRIBE, confirmations, and messages
// delivered a burst at a time.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bus.h"
#include "connection.h"
#include "context.h"

namespace rbus {

struct Subscription {
    std::string name;  // a channel, or a pattern for PSUBSCRIBE
    bool pattern = false;
};

// True when a TYPE argument is a glob (* ? [): it becomes a PSUBSCRIBE.
bool is_glob(std::string_view s);

// TYPE|PATTERN arguments → channels under the prefix; none or --all → {prefix}.*
std::vector<Subscription> subscriptions_for(const Context& ctx, const std::vector<std::string>& types, bool all);

struct BusMessage {
    std::string_view channel;
    std::string_view data;
    std::string_view pattern;  // empty for a plain SUBSCRIBE
};

class Subscriber {
public:
    Subscriber(ConnectOptions options, std::string client_name, std::vector<Subscription> subs);

    // Connects, subscribes, and waits until every subscription is confirmed.
    void start();

    enum class Wake { messages, deadline, interrupted };
    // Waits until data arrives or the deadline passes, then hands every whole
    // message already received to on_message (one burst). on_message returns
    // false to stop early. Throws IoError when the connection is lost.
    Wake poll(Deadline deadline, const std::function<bool(const BusMessage&)>& on_message);

    // Sends a PING (answered with ["pong",""] in subscribe mode) to find out
    // whether a silent connection is still alive. Throws IoError.
    void ping();
    // Drops the connection (after it was lost); start() opens a new one.
    void close() { conn_.reset(); early_.clear(); }
    bool connected() const { return conn_ != nullptr; }

    const std::vector<Subscription>& subscriptions() const { return subs_; }

private:
    bool dispatch(redisReply* r, const std::function<bool(const BusMessage&)>& on_message);

    ConnectOptions options_;
    std::string client_name_;
    std::vector<Subscription> subs_;
    std::unique_ptr<Connection> conn_;
    // Messages that arrived between the confirmations in start(): a channel
    // confirmed first can deliver before the others are confirmed. Handed to
    // on_message by the next poll(), in order, so none is lost.
    std::vector<Reply> early_;
};

}  // namespace rbus
