#include "bus/consumer.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "base/duration.h"
#include "base/error.h"
#include "base/log.h"
#include "base/named_file.h"
#include "event/run_context.h"
#include "base/signals.h"
#include "bus/live_absorber.h"

namespace rbus {

std::string timeout_message(const ConsumeOptions& o, const ConsumeStats& st) {
    if (st.history_ran_out)
        return fmt::format("the history up to --until held {} of {} event{}", st.matched, o.count.value_or(0),
                           o.count.value_or(0) == 1 ? "" : "s");
    return fmt::format("timed out after {}: {} of {} event{}", format_duration_as_given(o.timeout), st.matched,
                       o.count.value_or(0), o.count.value_or(0) == 1 ? "" : "s");
}

void add_consume_options(CLI::App& app, ConsumeFlags& flags) {
    app.add_option("-n,--count", flags.count, "exit 0 after N matching events")->type_name("N");
    app.add_option("--timeout", flags.timeout, "give up after DUR (exit 124 if --count was not reached)")
        ->type_name("DUR");
    app.add_option("--idle", flags.idle, "exit 0 once no matching event arrived for DUR")->type_name("DUR");
    app.add_option("--ready-file", flags.ready_file,
                   "create PATH once every subscription is confirmed (removed at start, kept after exit)")
        ->type_name("PATH");
    app.add_flag("--no-reconnect", flags.no_reconnect, "exit 3 when the connection is lost instead of reconnecting");
    app.add_option("--max-bytes", flags.max_bytes,
                   "a larger message is invalid, never read as JSON (default 16777216; --format raw prints it)")
        ->type_name("N");
    app.add_option("--ping-interval", flags.ping_interval, "PING after DUR of silence to detect a dead connection (default 5s; 0: never)")
        ->type_name("DUR");
}

ConsumeOptions consume_options(const ConsumeFlags& flags) {
    ConsumeOptions o;
    if (!flags.count.empty()) o.count = parse_count("--count", flags.count);
    if (!flags.max_bytes.empty()) o.max_bytes = parse_max_bytes(flags.max_bytes);
    if (!flags.timeout.empty()) o.timeout = parse_duration(flags.timeout);
    if (!flags.idle.empty()) {
        o.idle = parse_duration(flags.idle);
        if (o.idle.count() <= 0) throw UsageError("--idle must be longer than 0");
    }
    if (!flags.ping_interval.empty()) o.ping_interval = parse_duration(flags.ping_interval);
    o.ready_file = flags.ready_file;
    o.reconnect = !flags.no_reconnect;
    return o;
}

std::string oversize_message(std::size_t bytes, std::size_t max_bytes) {
    return fmt::format("message is {} bytes, more than --max-bytes {}", bytes, max_bytes);
}

bool deliver_message(const BusMessage& m, const ConsumeHandlers& h, EnvelopeReader& reader, std::size_t max_bytes,
                     const EventRead* read) {
    if (m.data.size() > max_bytes) {  // at the message boundary: nothing parses it
        EventRead too_large;
        too_large.error = oversize_message(m.data.size(), max_bytes);
        return h.on_event(ReceivedEvent{m, too_large, std::chrono::system_clock::now()});
    }
    return h.on_event(ReceivedEvent{m, read ? *read : reader.read(m.data), std::chrono::system_clock::now()});
}

LoopClock LoopClock::system() {
    LoopClock c;
    c.now = [] { return Clock::now(); };
    c.sleep_until = [](Clock::time_point until) { sleep_unless_signal(until); };  // wakes early for a signal
    c.signal = pending_signal;
    return c;
}

namespace {

// One run's state: its subscription, its timers (deadline, idle, PING) and
// what happened.
class ConsumeLoop {
public:
    ConsumeLoop(const SubscriberConnector& connect, const ConsumeOptions& o, const ConsumeHandlers& h,
                ConsumeStats& st, const LoopClock& clock)
        : connect_(connect), o_(o), h_(h), st_(st), clock_(clock), policy_(o.backoff) {}

    int run() {
        if (o_.timeout.count() > 0) deadline_ = clock_.now() + o_.timeout;
        if (!o_.ready_file.empty()) remove_stale_ready_file(o_.ready_file);
        try {
            sub_ = connect_();
        } catch (const Interrupted& e) {
            return e.exit_code();  // Ctrl-C while subscribing: 130/143, the final --metrics as usual
        }
        if (!o_.ready_file.empty()) create_ready_file(o_.ready_file);
        last_match_ = last_data_ = clock_.now();
        done_ = o_.count && *o_.count == 0;
        if (h_.on_subscribed && !done_) {
            try {
                LiveAbsorber absorbing(*sub_);  // the live part read meanwhile, into memory
                h_.on_subscribed([&](const BusMessage& m, const EventRead* read) {
                    return take(m, read) && !clock_.signal() && !(deadline_ && clock_.now() >= *deadline_);
                });
            } catch (const RunTimedOut&) {  // --timeout came during the replay (its SCAN, a page the server is slow to send)
                return end_burst(o_.count && !done_ ? kExitTimeout : kExitOk);
            }
            if (h_.on_burst) h_.on_burst();
            if (int sig = clock_.signal()) return signal_exit_code(sig);
            if (auto rc = timer_exit(clock_.now()); rc && !done_) return *rc;
            last_match_ = last_data_ = clock_.now();
        }
        while (!done_) {
            if (int sig = clock_.signal()) return end_burst(signal_exit_code(sig));
            try {
                if (auto rc = step()) return *rc;
            } catch (const IoError& e) {
                if (!o_.reconnect) throw IoError(fmt::format("connection to the bus lost: {}", e.what()));
                if (auto rc = reconnect(e.what())) return *rc;
            }
        }
        return kExitOk;
    }

private:
    int end_burst(int rc) {
        if (h_.on_burst) h_.on_burst();
        return rc;
    }

    // The exit code when the deadline or the idle time has come, else nothing.
    std::optional<int> timer_exit(Clock::time_point now) const {
        if (deadline_ && now >= *deadline_) return o_.count ? kExitTimeout : kExitOk;
        if (o_.idle.count() > 0 && now >= last_match_ + o_.idle) return kExitOk;
        return std::nullopt;
    }

    Deadline next_wake() const {
        Deadline wake = deadline_;
        auto earliest = [&](Clock::time_point t) {
            if (!wake || t < *wake) wake = t;
        };
        if (o_.idle.count() > 0) earliest(last_match_ + o_.idle);
        if (o_.ping_interval.count() > 0) earliest((ping_sent_ ? *ping_sent_ : last_data_) + o_.ping_interval);
        return wake;
    }

    // One message through the handlers; false once --count is reached.
    bool take(const BusMessage& m, const EventRead* read = nullptr) {
        ++st_.received;
        if (deliver_message(m, h_, reader_, o_.max_bytes, read)) {
            ++st_.matched;
            matched_in_burst_ = true;  // last_match_ is the end of the burst (step): no clock per message
            if (o_.count && st_.matched >= *o_.count) {
                done_ = true;
                return false;
            }
        }
        return true;
    }

    std::optional<int> step() {
        auto wake = sub_->poll(next_wake(), [&](const BusMessage& m) { return take(m); });
        auto now = clock_.now();
        if (std::exchange(matched_in_burst_, false)) last_match_ = now;
        if (wake == BusSubscriber::Wake::messages) {
            last_data_ = now;
            ping_sent_.reset();
            if (h_.on_burst) h_.on_burst();
            return std::nullopt;
        }
        if (auto rc = timer_exit(now)) return end_burst(*rc);
        if (o_.ping_interval.count() > 0) {
            if (ping_sent_ && now >= *ping_sent_ + o_.ping_interval)
                throw IoError(fmt::format("no reply to PING within {}", format_duration(o_.ping_interval)));
            if (!ping_sent_ && now >= last_data_ + o_.ping_interval) {
                sub_->ping();
                ping_sent_ = now;
            }
        }
        return std::nullopt;
    }

    std::optional<int> reconnect(const std::string& why) {
        if (h_.on_burst) h_.on_burst();
        auto lost_at = clock_.now();
        logger().warn("connection lost: {}; reconnecting", why);
        sub_.reset();
        policy_.reset();
        while (true) {
            if (int sig = clock_.signal()) return end_burst(signal_exit_code(sig));
            auto now = clock_.now();
            if (auto rc = timer_exit(now)) return end_burst(*rc);
            Clock::time_point until = now + policy_.next_delay();
            if (deadline_) until = std::min(until, *deadline_);
            if (o_.idle.count() > 0) until = std::min(until, last_match_ + o_.idle);
            clock_.sleep_until(until);
            if (clock_.signal() || timer_exit(clock_.now())) continue;
            try {
                sub_ = connect_();
                break;
            } catch (const Interrupted& e) {
                return end_burst(e.exit_code());
            } catch (const ConnectError& e) {
                logger().info("reconnect attempt {} failed: {}", policy_.attempts(), e.what());
            }
        }
        ++st_.reconnects;
        last_data_ = clock_.now();
        ping_sent_.reset();
        auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(last_data_ - lost_at);
        logger().warn("reconnected after {}; events published meanwhile were not received{}",
                      log_lazy([gap] { return format_duration(gap); }), log_lazy([this] {
                          // which node, e.g. a new master after a Sentinel failover
                          std::string peer = sub_->peer();
                          return peer.empty() ? std::string() : fmt::format(" (now on {})", peer);
                      }));
        if (h_.on_reconnect) {
            h_.on_reconnect(gap);
            if (h_.on_burst) h_.on_burst();
        }
        return std::nullopt;
    }

    const SubscriberConnector& connect_;
    const ConsumeOptions& o_;
    const ConsumeHandlers& h_;
    ConsumeStats& st_;
    const LoopClock& clock_;
    std::unique_ptr<BusSubscriber> sub_;
    ReconnectPolicy policy_;
    EnvelopeReader reader_;
    Deadline deadline_;
    Clock::time_point last_match_, last_data_;
    std::optional<Clock::time_point> ping_sent_;
    bool done_ = false;
    bool matched_in_burst_ = false;
};

}  // namespace

int consume(const SubscriberConnector& connect, const ConsumeOptions& options, const ConsumeHandlers& handlers,
            ConsumeStats* stats, const LoopClock& clock) {
    ConsumeStats local;
    ConsumeLoop loop(connect, options, handlers, stats ? *stats : local, clock);
    return loop.run();
}

int consume_subscriptions(const Context& ctx, const std::string& client_name, const std::vector<Subscription>& subs,
                          const ConsumeOptions& options, const ConsumeHandlers& handlers, ConsumeStats* stats) {
    Context c = ctx;
    c.connect.max_reply_bytes = reply_bound(options.max_bytes);
    // Made now: patterns with --sharded are a UsageError before anything connects.
    std::unique_ptr<BusSubscriber> first = make_subscriber(c, client_name, subs);
    auto connect = [&] {
        std::unique_ptr<BusSubscriber> sub = first ? std::move(first) : make_subscriber(c, client_name, subs);
        sub->start();
        return sub;
    };
    return consume(connect, options, handlers, stats);
}

}  // namespace rbus
