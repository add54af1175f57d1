#include "subscribe/history_mirror.h"

#include <utility>

#include <fmt/format.h>

#include "redis/connect.h"
#include "base/error.h"
#include "bus/history_options.h"
#include "base/log.h"

namespace rbus {

HistoryMirror::HistoryMirror(const Context& ctx, HistorySettings settings)
    : ctx_(ctx), settings_(std::move(settings)) {}

void HistoryMirror::connect() {
    conn_ = connect_bus(ctx_.connect, "rbus-subscribe-mirror");
    load_record_script(*conn_, ctx_.connect.reply_timeout);
}

void HistoryMirror::start() {
    if (bus_is_cluster(ctx_, "rbus-subscribe-mirror")) {
        cluster_ = std::make_unique<ClusterSlots>(ctx_.connect, "rbus-subscribe-mirror");
        cluster_->start();
        writer_ = std::make_unique<ClusterHistoryWriter>(*cluster_, settings_, ClusterWriteOptions{});
        return;
    }
    connect();
}

void HistoryMirror::add(std::string_view channel, std::string_view id, std::string_view body) {
    if (cluster_) {
        queue_.push_back(Queued{std::string(channel), std::string(id), std::string(body)});
        return;
    }
    append_record(out_, settings_, RecordRequest{channel, id, body, {}, false}, true,
                  std::chrono::system_clock::now());
    ++queued_;
}

void HistoryMirror::flush_cluster() {
    if (queue_.empty()) return;
    std::vector<ClusterWrite> events;
    events.reserve(queue_.size());
    for (const Queued& q : queue_) events.push_back(ClusterWrite{q.channel, q.id, q.body});
    std::vector<ClusterWriteResult> results = writer_->write(events, std::chrono::system_clock::now());
    queue_.clear();
    std::string wrong;
    for (const ClusterWriteResult& r : results) {
        if (r.done) {
            ++(r.fresh ? recorded_ : duplicates_);
            continue;
        }
        ++lost_;
        if (r.wrong_type) {
            if (wrong.empty()) wrong = r.error;
        } else {
            logger().warn("not recorded: {}", r.error);
        }
    }
    if (!wrong.empty()) throw UsageError(wrong);
}

void HistoryMirror::flush() {
    if (cluster_) return flush_cluster();
    if (queued_ == 0) return;
    // The batch is kept until its replies are read: a connection lost (a
    // server's idle timeout, CLIENT KILL, a restart) is opened again and the
    // batch written once more. The script is idempotent (the seen mark), so
    // events written before the loss come back as already recorded, and the
    // replies counted before it are not counted twice.
    const std::string batch = std::exchange(out_, {});
    const std::size_t total = std::exchange(queued_, 0);
    std::size_t counted = 0;
    for (int attempt = 0;; ++attempt) {
        try {
            write_batch(batch, total, counted);
            return;
        } catch (const ConnectError& e) {
            conn_.reset();
            if (attempt == 0) {
                logger().info("history connection lost: {}; writing {} event(s) again on a new connection", e.what(),
                              total - counted);
                continue;
            }
            lost_ += total - counted;
            logger().warn("history connection lost: {}; {} event(s) not recorded", e.what(), total - counted);
            return;
        }
    }
}

void HistoryMirror::write_batch(const std::string& batch, std::size_t total, std::size_t& counted) {
    if (!conn_) connect();
    conn_->append_raw(batch);
    Deadline deadline = deadline_after(ctx_.connect.reply_timeout);
    conn_->flush(deadline);
    std::string wrong;
    for (std::size_t i = 0; i < total;) {
        std::optional<IntegerReply> r = conn_->read_integer_reply(deadline);
        if (!r) {
            if (deadline && Clock::now() >= *deadline)
                throw TimeoutError(fmt::format("no reply from {} to the history script", conn_->peer()));
            continue;  // a signal: the replies are still owed, read them first
        }
        if (i++ < counted) continue;  // counted before the connection was lost
        ++counted;
        if (r->error) {
            ++lost_;
            if (is_wrong_type(r->text)) {
                if (wrong.empty()) wrong = r->text;
            } else {
                logger().warn("{}", log_lazy([&] { return history_refusal(conn_->peer(), r->text); }));
            }
        } else if (r->value == 1) {
            ++recorded_;
        } else {
            ++duplicates_;
        }
    }
    if (!wrong.empty()) throw_history_refused(conn_->peer(), wrong);
}

ConsumeHandlers mirror_handlers(HistoryMirror& mirror, const EventFilter& filter) {
    ConsumeHandlers h;
    h.on_event = [&mirror, &filter](const ReceivedEvent& ev) {
        if (!ev.read.ok()) {
            logger().warn("not recorded: invalid message on {}: {}", ev.message.channel, ev.read.error);
            return false;
        }
        const EventView& e = ev.read.event;
        if (!filter.matches(e)) return false;
        mirror.add(ev.message.channel, e.id, e.text);
        return true;
    };
    h.on_burst = [&mirror] { mirror.flush(); };
    return h;
}

int run_mirror(const Context& ctx, const std::vector<Subscription>& subs, HistorySettings settings,
               EventFilter filter, const ConsumeOptions& options) {
    HistoryMirror mirror(ctx, std::move(settings));
    mirror.start();  // before subscribing: a wrong server is found before anything is received
    int rc = 0;
    try {
        rc = consume_subscriptions(ctx, "rbus-subscribe", subs, options, mirror_handlers(mirror, filter), nullptr);
    } catch (...) {
        mirror.flush();
        throw;
    }
    mirror.flush();
    LogLevel level = mirror.lost() > 0 ? LogLevel::warn : LogLevel::info;
    if (logger().enabled(level))
        logger().log(level, fmt::format("mirror: recorded {}, already recorded {}, not recorded {}", mirror.recorded(),
                                        mirror.duplicates(), mirror.lost()));
    return rc;
}

}  // namespace rbus
