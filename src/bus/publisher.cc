#include "bus/publisher.h"

#include <fmt/format.h>

#include "base/error.h"
#include "base/log.h"
#include "base/signals.h"

namespace rbus {

std::string metrics_key(std::string_view channel) { return fmt::format("metrics:channel:{}:published", channel); }

long long Publisher::publish(const Envelope& env) {
    std::string channel = ctx_.publish_channel(env.type());
    std::string body = env.dump();
    Deadline deadline = deadline_after(ctx_.connect.reply_timeout);
    if (options_.history) {
        std::string cmd;
        append_record(cmd, *options_.history, RecordRequest{channel, env.id(), body, channel, true}, false,
                      std::chrono::system_clock::now());
        conn_.append_raw(cmd);
    } else {
        conn_.append({"PUBLISH", channel, body});
    }
    if (options_.record_metrics) conn_.append({"INCR", metrics_key(channel)});
    conn_.flush(deadline);
    long long receivers = -1;
    int replies = options_.record_metrics ? 2 : 1;
    for (int i = 0; i < replies; ++i) {
        Reply r = conn_.read_reply(deadline);
        if (!r) {
            throw_if_interrupted();
            throw TimeoutError(fmt::format("no reply from {} to PUBLISH", conn_.peer()));
        }
        if (r->type == REDIS_REPLY_ERROR && i == 0 && options_.history)
            throw_history_refused(conn_.peer(), reply_text(r.get()));
        if (r->type == REDIS_REPLY_ERROR)
            throw ReplyError(fmt::format("{} refused {}: {}", conn_.peer(), i == 0 ? "PUBLISH" : "INCR",
                                         reply_text(r.get())));
        if (i == 0) receivers = r->integer;
    }
    log_published(env, channel, receivers);
    return receivers;
}

void Publisher::log_published(const Envelope& env, const std::string& channel, long long receivers) const {
    Logger& log = logger();
    if (!log.enabled(LogLevel::info)) return;
    LogFields fields;
    if (const std::string* w = env.workspace_id()) fields.emplace_back("workspace_id", *w);
    if (const std::string* c = env.request_id()) fields.emplace_back("correlation_id", *c);
    fields.emplace_back("receivers", std::to_string(receivers));
    log.info(fmt::format("Published event {} to {}", env.type(), channel), fields);
}

}  // namespace rbus
