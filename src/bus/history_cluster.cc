#include "bus/history_cluster.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/error.h"
#include "base/duration.h"
#include "base/log.h"
#include "base/signals.h"
#include "bus/history_options.h"
#include "bus/publisher.h"
#include "redis/connect.h"
#include "redis/crc16.h"

namespace rbus {
namespace {

// KEYS: msg:{channel}:{id}. ARGV: body, TTL (s).
constexpr std::string_view kMsgCopyScript = R"lua(
local t = redis.call('TYPE', KEYS[1])['ok']
if t ~= 'none' and t ~= 'string' then
  return redis.error_reply('WRONGTYPE history key ' .. KEYS[1] .. ' holds a ' .. t .. ', not a string')
end
return redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
)lua";

constexpr std::size_t kChunk = 1000;  // events written per round of phases

void refuse(ClusterWriteResult& r, const SlotResult& reply) {
    r.wrong_type = is_wrong_type(reply.error);
    r.error = reply.lost ? fmt::format("history not written (event not published): {}", reply.error)
                         : history_refusal("the cluster", reply.error);
    r.lost = reply.lost;
}

// A single event is written again as a batch's would be: the same backoff.
BatchOptions retries_with_batch_backoff(int retries) {
    BatchOptions o;
    o.retries = retries;
    return o;
}

}  // namespace

std::string_view msg_copy_script() { return kMsgCopyScript; }

std::vector<ClusterWriteResult> ClusterHistoryWriter::write(const std::vector<ClusterWrite>& events, SystemTime now) {
    std::vector<ClusterWriteResult> results(events.size());
    std::vector<std::size_t> live;  // the events still going, by index
    std::vector<SlotCommand> cmds;

    // Runs one phase for the live events; `on` sees each reply, failures drop the event.
    auto phase = [&](auto make, auto on, auto on_error) {
        if (live.empty()) return;
        cmds.clear();
        for (std::size_t i : live) cmds.push_back(make(events[i]));
        std::vector<SlotResult> replies = runner_.run(cmds);
        std::vector<std::size_t> next;
        for (std::size_t k = 0; k < live.size(); ++k) {
            std::size_t i = live[k];
            if (!replies[k].ok()) {
                on_error(results[i], replies[k]);
                continue;
            }
            on(results[i], replies[k].reply.get());
            next.push_back(i);
        }
        live = std::move(next);
    };

    for (std::size_t i = 0; i < events.size(); ++i) live.push_back(i);
    phase(
        [&](const ClusterWrite& e) {
            SlotCommand c;
            c.slot = hash_slot(settings_.keys.stream(e.channel));
            append_record(c.resp, settings_, RecordRequest{e.channel, e.id, e.body, {}, false}, false, now);
            c.what = "the history script";
            return c;
        },
        [](ClusterWriteResult& r, const redisReply* reply) { r.fresh = reply->type == REDIS_REPLY_INTEGER && reply->integer == 1; },
        refuse);
    if (!options_.publish) {
        for (std::size_t i : live) results[i].done = true;
        return results;
    }
    phase(
        [&](const ClusterWrite& e) {
            std::string key = raptorbus_msg_key(e.channel, e.id);
            std::string ttl = std::to_string(raptorbus_msg_ttl(e.channel).count());
            return slot_command(key, {"EVAL", kMsgCopyScript, "1", key, e.body, ttl});
        },
        [](ClusterWriteResult&, const redisReply*) {}, refuse);
    const char* publish = options_.sharded ? "SPUBLISH" : "PUBLISH";
    phase([&](const ClusterWrite& e) { return slot_command(e.channel, {publish, e.channel, e.body}); },
          [](ClusterWriteResult& r, const redisReply* reply) {
              r.done = true;
              r.receivers = reply->type == REDIS_REPLY_INTEGER ? reply->integer : 0;
          },
          [&](ClusterWriteResult& r, const SlotResult& reply) {
              r.error = reply.lost ? fmt::format("recorded, but not published: {}", reply.error)
                                   : fmt::format("recorded, but the cluster refused {}: {}", publish, reply.error);
              r.lost = reply.lost;
          });
    if (options_.record_metrics && !live.empty()) {
        cmds.clear();
        for (std::size_t i : live) {
            std::string key = metrics_key(events[i].channel);
            cmds.push_back(slot_command(key, {"INCR", key}));
        }
        std::vector<SlotResult> replies = runner_.run(cmds);
        for (std::size_t k = 0; k < replies.size(); ++k)
            if (!replies[k].ok())
                logger().warn("INCR {} refused: {}", metrics_key(events[live[k]].channel), replies[k].error);
    }
    return results;
}

std::vector<ClusterWriteResult> ClusterResender::write(const std::vector<ClusterWrite>& events) {
    std::vector<ClusterWriteResult> results(events.size());
    std::vector<std::size_t> todo(events.size());  // indexes into events
    for (std::size_t i = 0; i < todo.size(); ++i) todo[i] = i;
    std::chrono::milliseconds delay = backoff_initial_;
    for (int attempt = 1;; ++attempt) {
        std::vector<ClusterWrite> batch;
        batch.reserve(todo.size());
        for (std::size_t i : todo) batch.push_back(events[i]);
        std::vector<ClusterWriteResult> got = writer_.write(batch, std::chrono::system_clock::now());
        std::vector<std::size_t> lost;
        std::string why;
        for (std::size_t k = 0; k < todo.size(); ++k) {
            if (got[k].lost) {
                lost.push_back(todo[k]);
                if (why.empty()) why = got[k].error;
            }
            results[todo[k]] = std::move(got[k]);
        }
        if (lost.empty()) {
            if (attempt > 1) logger().warn("reconnected; resent {} event(s)", todo.size());
            return results;
        }
        if (!down_.empty() || attempt > retries_ || pending_signal()) {
            if (down_.empty())
                down_ = retries_ > 0 ? fmt::format("bus unreachable after {} reconnect attempt(s): {}", retries_, why)
                                     : fmt::format("connection lost: {}", why);
            for (std::size_t i : lost) results[i].error = down_;
            return results;
        }
        logger().warn("{}: {}; reconnecting in {} (attempt {} of {}), {} event(s) to resend",
                      attempt == 1 ? "connection lost" : "reconnect failed", why,
                      log_lazy([delay] { return format_duration(delay); }), attempt, retries_, lost.size());
        sleep_(delay);
        delay = std::min(delay * 2, backoff_max_);
        try {
            reread_();
        } catch (const ConnectError& e) {
            logger().warn("cannot read the cluster's topology: {}", e.what());
        }
        todo = std::move(lost);
    }
}

ClusterHistoryPublisher::ClusterHistoryPublisher(const Context& ctx, const HistorySettings& settings,
                                                 bool record_metrics, int retries, Sleeper sleep)
    : ctx_(ctx),
      slots_(ctx.connect, "rbus-publish"),
      writer_(slots_, settings, ClusterWriteOptions{true, ctx.sharded, record_metrics}),
      resender_(writer_, [this] { slots_.start(); }, retries_with_batch_backoff(retries), std::move(sleep)) {}

void ClusterHistoryPublisher::start() { slots_.start(); }

long long ClusterHistoryPublisher::publish(const Envelope& env) {
    std::string channel = ctx_.publish_channel(env.type());
    std::string body = env.dump();
    std::vector<ClusterWriteResult> r = resender_.write({ClusterWrite{channel, env.id(), body}});
    if (!r[0].done) {
        if (r[0].wrong_type) throw UsageError(r[0].error);
        if (r[0].lost) throw ConnectError(r[0].error);
        throw ReplyError(r[0].error);
    }
    if (logger().enabled(LogLevel::info)) {
        LogFields fields;
        if (const std::string* w = env.workspace_id()) fields.emplace_back("workspace_id", *w);
        if (const std::string* c = env.request_id()) fields.emplace_back("correlation_id", *c);
        fields.emplace_back("receivers", std::to_string(r[0].receivers));
        logger().info(fmt::format("Published event {} to {} (history on the cluster)", env.type(), channel), fields);
    }
    return r[0].receivers;
}

ClusterHistoryBatch::ClusterHistoryBatch(const Context& ctx, const HistorySettings& settings,
                                         const BatchOptions& options, BatchHandlers handlers, Sleeper sleep)
    : slots_(ctx.connect, "rbus-publish"),
      writer_(slots_, settings, ClusterWriteOptions{true, ctx.sharded, options.record_metrics}),
      resender_(writer_, [this] { slots_.start(); }, options, std::move(sleep)),
      handlers_(std::move(handlers)) {}

void ClusterHistoryBatch::start() { slots_.start(); }

void ClusterHistoryBatch::add(const BatchEvent& ev) {
    pending_.push_back(Pending{ev.line, std::string(ev.channel), envelope_id(ev.body), std::string(ev.body)});
    if (pending_.size() >= kChunk) finish();
}

void ClusterHistoryBatch::finish() {
    if (pending_.empty()) return;
    std::vector<ClusterWrite> events;
    events.reserve(pending_.size());
    for (const Pending& p : pending_) events.push_back(ClusterWrite{p.channel, p.id, p.body});
    std::vector<ClusterWriteResult> results = resender_.write(events);
    if (std::any_of(results.begin(), results.end(), [](const ClusterWriteResult& r) { return r.lost; }))
        logger().warn(resender_.down());
    for (std::size_t i = 0; i < results.size(); ++i) {
        BatchEvent ev{pending_[i].line, pending_[i].channel, pending_[i].body};
        if (results[i].done) {
            if (handlers_.published) handlers_.published(ev, results[i].receivers);
        } else if (handlers_.failed) {
            handlers_.failed(ev, results[i].error);
        }
    }
    pending_.clear();
}

bool bus_is_cluster(const Context& ctx, std::string_view client_name) {
    if (cluster_by_flags(ctx)) return true;
    auto conn = connect_bus(ctx.connect, client_name);
    return is_cluster_node(*conn, ctx.connect.reply_timeout);
}

}  // namespace rbus
