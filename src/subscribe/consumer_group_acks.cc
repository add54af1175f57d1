// GroupConsumer's acknowledgements and its connection's recovery: XACKs
// queued, sent with the next read and owed until answered; the read sent
// ahead taken or dropped; on one node, the connection opened again after it
// was lost, with what was handled acknowledged then.
#include "subscribe/consumer_group.h"

#include <fmt/format.h>

#include "base/error.h"
#include "base/log.h"
#include "base/signals.h"
#include "redis/connect.h"
#include "redis/reconnect.h"

namespace rbus {

void GroupConsumer::ack_pending_acks(bool with_next_command) {
    if (to_ack_.empty()) return;
    sink_.on_burst();  // written and flushed before acknowledged
    if (sink_.output_given_up()) {  // stdout's reader stopped reading: not written, so not acknowledged
        logger().warn("{} event(s) not acknowledged: stdout's reader did not take all of them after the signal; "
                      "left pending for redelivery",
                      to_ack_.size());
        to_ack_.clear();
        acked_replies_.clear();
        return;
    }
    // One XACK per run of one stream's entries (a read or a claim gives them by stream).
    std::size_t i = 0;
    std::vector<std::string_view> args;
    while (i < to_ack_.size()) {
        args.assign({"XACK", to_ack_[i].first, o_.group});
        std::size_t j = i;
        for (; j < to_ack_.size() && to_ack_[j].first == to_ack_[i].first; ++j) args.push_back(to_ack_[j].second);
        if (with_next_command && !cluster_) {
            // Sent in the same write as the next command (the next XREADGROUP),
            // which the server runs after it; its reply is checked first.
            conn_->append(args);
            std::string peer = conn_->peer(), key(to_ack_[i].first);
            ++unanswered_;
            conn_->defer_reply([this, peer, key](const redisReply& r) {
                if (r.type == REDIS_REPLY_ERROR && std::string_view(reply_text(&r)).rfind("WRONGTYPE", 0) == 0)
                    throw not_a_stream_error(key);
                if (r.type == REDIS_REPLY_ERROR)
                    throw ReplyError(fmt::format("{} refused XACK: {}", peer, reply_text(&r)));
                if (--unanswered_ == 0) {
                    unanswered_acks_.clear();
                    unanswered_replies_.clear();
                }
            });
            acks_unsent_ = true;
        } else {
            command(args);
        }
        stats_.acked += j - i;
        i = j;
    }
    if (with_next_command && !cluster_) {  // owed until answered
        unanswered_acks_.insert(unanswered_acks_.end(), to_ack_.begin(), to_ack_.end());
        for (Reply& r : acked_replies_) unanswered_replies_.push_back(std::move(r));
    }
    to_ack_.clear();
    acked_replies_.clear();  // the XACKs hold their own bytes now
}

Reply GroupConsumer::read_ahead_reply() {
    if (parked_) return std::move(parked_);
    Deadline wait = deadline_after(ctx_.connect.reply_timeout);
    Reply r;
    while (!(r = conn_->read_reply(wait)))  // not a blocking read: it comes soon, even after a signal
        if (Clock::now() >= *wait) throw TimeoutError(fmt::format("no reply from {} to XREADGROUP", conn_->peer()));
    return r;
}

void GroupConsumer::park_read_ahead() {
    if (ahead_ && !parked_ && conn_) parked_ = read_ahead_reply();
}

void GroupConsumer::drop_read_ahead() {
    if (!ahead_) return;
    ahead_ = false;
    Reply r = read_ahead_reply();
    std::vector<KeyedEntry> left;
    if (r->type == REDIS_REPLY_ARRAY) parse_read_reply(r.get(), left, "XREADGROUP");
    log_left_pending(left.size());
}

void GroupConsumer::log_left_pending(std::size_t n) {
    if (n > 0) logger().info("{} event(s) read ahead and not handled: left pending for redelivery", n);
}

void GroupConsumer::settle_acks() {
    drop_read_ahead();
    ack_pending_acks();
    if (acks_unsent_ && conn_) command({"PING"});  // sends what waits, and takes the XACK replies
    acks_unsent_ = false;
}

std::optional<int> GroupConsumer::reconnect(const std::string& why, Deadline deadline) {
    // A Cluster's connections are ClusterSlots' own; --no-reconnect: a lost connection ends the run (exit 3).
    if (cluster_ || !consume_.reconnect) throw IoError(fmt::format("connection to the bus lost: {}", why));
    logger().warn("connection lost: {}; reconnecting", why);
    const auto lost_at = Clock::now();
    conn_.reset();
    parked_.reset();  // a read ahead lost with it: its entries are still ours, taken again
    ahead_ = false;
    acks_unsent_ = false;
    // XACKs sent and not answered: sent again (an entry acknowledged twice is no harm).
    to_ack_.insert(to_ack_.begin(), unanswered_acks_.begin(), unanswered_acks_.end());
    for (Reply& r : unanswered_replies_) acked_replies_.push_back(std::move(r));
    unanswered_acks_.clear();
    unanswered_replies_.clear();
    unanswered_ = 0;
    ReconnectPolicy policy(consume_.backoff);
    for (;;) {
        if (int sig = pending_signal()) return signal_exit_code(sig);  // no connection: nothing to settle
        if (deadline && Clock::now() >= *deadline) return consume_.count ? kExitTimeout : kExitOk;
        Clock::time_point until = Clock::now() + policy.next_delay();
        if (deadline) until = std::min(until, *deadline);
        if (!sleep_unless_signal(until) || (deadline && Clock::now() >= *deadline)) continue;
        try {
            conn_ = connect_bus(ctx_.connect, "rbus-subscribe-group");
            // A server still loading its data takes the connection (and CLIENT SETNAME) but no command:
            // waited for here, not met by the next read (a pattern with no stream yet sends none before it).
            conn_->command({"PING"}, ctx_.connect.reply_timeout);
            create_groups(streams_, o_.start_id);  // a server that lost them (restarted without persistence)
            ack_pending_acks();  // handled before the loss: acknowledged now, not handled again
            break;
        } catch (const Interrupted& e) {
            return e.exit_code();
        } catch (const ConnectError& e) {
            conn_.reset();
            logger().info("reconnect attempt {} failed: {}", policy.attempts(), e.what());
        } catch (const ReplyError& e) {  // a server still loading its data (-LOADING): again, later
            if (std::string_view(e.what()).rfind("LOADING", 0) != 0) throw;
            conn_.reset();
            logger().info("reconnect attempt {}: {}", policy.attempts(), e.what());
        }
    }
    auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - lost_at);
    logger().warn("reconnected after {} (now on {}); events read and not acknowledged are taken again",
                  log_lazy([gap] { return format_duration(gap); }), conn_->peer());
    return std::nullopt;
}

}  // namespace rbus
