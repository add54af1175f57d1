#include "bus/dlq.h"

#include <vector>

#include "redis/connection.h"
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

void append_dlq_move(std::string& out, const HistoryKeys& keys, const DeadLetter& d, std::string_view uuid,
                     SystemTime now) {
    std::string record = raptorbus_dlq_record(d, now);
    std::string failed_at = format_timestamp(now);
    std::string deliveries = std::to_string(d.deliveries);
    std::string exit_status = d.exit_status ? std::to_string(*d.exit_status) : std::string();
    std::string dlq = keys.dlq();
    auto add = [&out](std::vector<std::string_view> args) { append_resp(out, args.data(), args.size()); };
    std::string key = raptorbus_dlq_key(d.reason, uuid);
    add({"MULTI"});
    std::vector<std::string_view> xadd{"XADD", dlq, "*", "envelope", d.envelope, "reason", d.reason,
                                       "channel", d.channel, "group", d.group, "consumer", d.consumer,
                                       "deliveries", deliveries, "failed_at", failed_at, "stream", d.stream,
                                       "entry", d.entry_id, "error_details", d.error_details,
                                       "raptorbus_key", key};
    if (d.exit_status) {
        xadd.push_back("exit_status");
        xadd.push_back(exit_status);
    }
    add(xadd);
    std::string ttl = std::to_string(kRaptorbusDlqTtl.count());
    std::string channel = raptorbus_dlq_channel(d.reason);
    add({"SET", key, record, "EX", ttl});
    add({"PUBLISH", channel, record});
    add({"XACK", d.stream, d.group, d.entry_id});
    add({"EXEC"});
}

}  // namespace rbus
