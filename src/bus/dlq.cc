#include "bus/dlq.h"

#include <deque>
#include <functional>
#include <vector>

#include <fmt/format.h>

#include "redis/connection.h"
#include "base/error.h"
#include "event/envelope.h"

namespace rbus {

std::string raptorbus_dlq_record(const DeadLetter& d, SystemTime now) {
    Json j = Json::object();
    j["original_channel"] = std::string(d.channel);
    j["reason"] = std::string(d.reason);
    j["error_details"] = d.error_details;
    j["timestamp"] = format_timestamp(now);
    j["event"] = d.envelope.empty() ? Json(nullptr) : Json(std::string(d.envelope));
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

namespace {

// The DLQ move's commands, each with the key it goes by: XADD {ns}:dlq, SET of
// RaptorBus's record, its PUBLISH (by the channel), XACK of the history entry.
void dlq_move_commands(const HistoryKeys& keys, const DeadLetter& d, std::string_view uuid, SystemTime now,
                       const std::function<void(std::string_view key, std::vector<std::string_view> args)>& add) {
    std::string record = raptorbus_dlq_record(d, now);
    std::string failed_at = format_timestamp(now);
    std::string deliveries = std::to_string(d.deliveries);
    std::string exit_status = d.exit_status ? std::to_string(*d.exit_status) : std::string();
    std::string dlq = keys.dlq();
    std::string key = raptorbus_dlq_key(d.reason, uuid);
    std::vector<std::string_view> xadd{"XADD", dlq, "*", "envelope", d.envelope, "reason", d.reason,
                                       "channel", d.channel, "group", d.group, "consumer", d.consumer,
                                       "deliveries", deliveries, "failed_at", failed_at, "stream", d.stream,
                                       "entry", d.entry_id, "error_details", d.error_details,
                                       "raptorbus_key", key};
    if (d.exit_status) {
        xadd.push_back("exit_status");
        xadd.push_back(exit_status);
    }
    add(dlq, xadd);
    std::string ttl = std::to_string(kRaptorbusDlqTtl.count());
    std::string channel = raptorbus_dlq_channel(d.reason);
    add(key, {"SET", key, record, "EX", ttl});
    add(channel, {"PUBLISH", channel, record});
    add(d.stream, {"XACK", d.stream, d.group, d.entry_id});
}

}  // namespace

// KEYS: {ns}:dlq, RaptorBus's record, the history stream. ARGV: the record,
// its TTL, its channel, the group, the entry, then the DLQ entry's fields and
// values. A step that fails (a DLQ key of another type) stops the script
// there: the XADD is first, so nothing is written and the entry stays pending.
constexpr std::string_view kDlqMoveScript = R"lua(
redis.call('XADD', KEYS[1], '*', unpack(ARGV, 6))
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[1])
redis.call('XACK', KEYS[3], ARGV[4], ARGV[5])
return 1
)lua";

void append_dlq_move(std::string& out, const HistoryKeys& keys, const DeadLetter& d, std::string_view uuid,
                     SystemTime now) {
    std::vector<std::vector<std::string_view>> steps;
    std::deque<std::string> held;  // the steps' views point into dlq_move_commands' strings: copied (a deque keeps them in place)
    dlq_move_commands(keys, d, uuid, now, [&](std::string_view, std::vector<std::string_view> args) {
        std::vector<std::string_view> step;
        for (std::string_view a : args) step.push_back(held.emplace_back(a));
        steps.push_back(std::move(step));
    });
    const auto& xadd = steps[0];  // XADD dlq * fields...
    const auto& set = steps[1];   // SET key record EX ttl
    const auto& pub = steps[2];   // PUBLISH channel record
    const auto& xack = steps[3];  // XACK stream group entry
    std::vector<std::string_view> args{"EVAL", kDlqMoveScript, "3", xadd[1], set[1], xack[1],
                                       set[2], set[4], pub[1], xack[2], xack[3]};
    args.insert(args.end(), xadd.begin() + 3, xadd.end());
    append_resp(out, args.data(), args.size());
}

void dlq_move_on_cluster(SlotRunner& cluster, const HistoryKeys& keys, const DeadLetter& d, std::string_view uuid,
                         SystemTime now) {
    std::vector<SlotCommand> steps;
    dlq_move_commands(keys, d, uuid, now, [&](std::string_view key, std::vector<std::string_view> args) {
        steps.push_back(slot_command(key, args));
    });
    for (const SlotCommand& step : steps) {  // in order: each step only once the one before it is done
        std::vector<SlotResult> r = cluster.run({step});
        if (!r[0].ok()) throw ReplyError(fmt::format("the cluster refused the DLQ move ({}): {}", step.what, r[0].error));
    }
}

}  // namespace rbus
