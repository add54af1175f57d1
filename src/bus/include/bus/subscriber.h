// Receiving from the bus: SUBSCRIBE/PSUBSCRIBE, confirmations, and messages
// delivered a burst at a time.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bus/bus_subscriber.h"
#include "redis/connect.h"
#include "redis/connection.h"
#include "event/run_context.h"

namespace rbus {

// True when a TYPE argument is a glob (* ? [): it becomes a PSUBSCRIBE.
bool is_glob(std::string_view s);

// TYPE|PATTERN arguments → channels under the prefix (a full channel name
// under the prefix counts as its type); ctx.channels (--channel) as they
// are; no TYPE and no --channel, or --all → {prefix}.*
std::vector<Subscription> subscriptions_for(const Context& ctx, const std::vector<std::string>& types, bool all);

// The plain BusSubscriber (bus_subscriber.h): one connection.
class Subscriber final : public BusSubscriber {
public:
    // Opens the connection start() subscribes on: connect_bus(options) unless
    // given (a test's connection over a FakeTransport).
    using ConnectionMaker = std::function<std::unique_ptr<Connection>()>;
    Subscriber(ConnectOptions options, std::string client_name, std::vector<Subscription> subs,
               ConnectionMaker connect = {});

    void start() override;
    Wake poll(Deadline deadline, const std::function<bool(const BusMessage&)>& on_message) override;
    bool absorb(Deadline until) override;
    // A PING, answered with ["pong",""] in subscribe mode.
    void ping() override;
    void close() override;
    bool connected() const { return conn_ != nullptr; }
    std::string peer() const override { return conn_ ? conn_->peer() : std::string(); }

    const std::vector<Subscription>& subscriptions() const { return subs_; }

private:
    // Throws ProtocolError when a frame of frame_bytes is past ConnectOptions::max_reply_bytes.
    void refuse_oversized(std::size_t frame_bytes) const;
    [[noreturn]] void protocol_error(const RespFrame& f) const;
    bool dispatch(redisReply* r, const std::function<bool(const BusMessage&)>& on_message);

    ConnectOptions options_;
    std::string client_name_;
    std::vector<Subscription> subs_;
    ConnectionMaker connect_;
    // Frames are looked at in place in the connection's input buffer
    // (Connection::unread, resp_reader.h): a message is handed out as views
    // into it, which stay valid until the next read. Messages that arrive
    // while start() waits for the confirmations stay there and are handed out
    // by the next poll(), in order, so none is lost.
    std::unique_ptr<Connection> conn_;
};

}  // namespace rbus
