#include "bus/history_keys.h"

#include <fmt/format.h>

#include "redis/crc16.h"

namespace rbus {

std::string HistoryKeys::stream(std::string_view channel) const {
    std::string k;
    k.reserve(ns_.size() + channel.size() + 11);
    k.append(ns_).append(":history:{").append(channel).append("}");
    return k;
}

std::string HistoryKeys::seen(std::string_view channel, std::string_view id) const {
    std::string k;
    k.reserve(ns_.size() + channel.size() + id.size() + 10);
    k.append(ns_).append(":seen:{").append(channel).append("}:").append(id);
    return k;
}

std::string HistoryKeys::dlq() const { return ns_ + ":dlq"; }

std::string HistoryKeys::redriven(std::string_view stream_key, std::string_view dlq_ref) const {
    std::string k = ns_ + ":redriven:{";
    k.append(hashed_part(stream_key)).append("}:").append(dlq_ref);
    return k;
}

std::string HistoryKeys::back(std::string_view stream_key, std::string_view event_id) const {
    std::string k = ns_ + ":back:{";
    k.append(hashed_part(stream_key)).append("}:").append(event_id);
    return k;
}

std::string HistoryKeys::stream_pattern(std::string_view channel_glob) const {
    return glob_escape(ns_ + ":history:{") + std::string(channel_glob) + "}";
}

std::string_view HistoryKeys::channel_of_stream(std::string_view key) const {
    std::string head = ns_ + ":history:{";
    if (key.size() < head.size() + 1 || key.substr(0, head.size()) != head || key.back() != '}') return {};
    return key.substr(head.size(), key.size() - head.size() - 1);
}

std::string raptorbus_msg_key(std::string_view channel, std::string_view id) {
    std::string k = "msg:";
    k.append(channel).append(":").append(id);
    return k;
}

std::string raptorbus_msg_pattern(std::string_view channel_glob) {
    return "msg:" + std::string(channel_glob) + ":*";
}

std::string glob_escape(std::string_view literal) {
    std::string out;
    out.reserve(literal.size());
    for (char c : literal) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

std::string glob_literal_prefix(std::string_view glob) {
    std::string out;
    for (std::size_t i = 0; i < glob.size(); ++i) {
        char c = glob[i];
        if (c == '*' || c == '?' || c == '[') break;
        if (c == '\\') {
            if (++i == glob.size()) break;
            c = glob[i];
        }
        out += c;
    }
    return out;
}

std::chrono::seconds raptorbus_msg_ttl(std::string_view channel) {
    using std::chrono::seconds;
    auto has = [&](std::string_view part) { return channel.find(part) != std::string_view::npos; };
    if (channel == "sys.global.heartbeat") return seconds(60);
    if (has("guild")) {
        if (has("muse")) return seconds(86400);
        if (has("matrix")) return seconds(604800);
        return seconds(3600);
    }
    if (has("alert")) return seconds(86400);
    return seconds(3600);
}

std::string raptorbus_dlq_channel(std::string_view reason) { return "sys.dlq." + std::string(reason); }

std::string raptorbus_dlq_key(std::string_view reason, std::string_view uuid) {
    return "dlq:" + raptorbus_dlq_channel(reason) + ":" + std::string(uuid);
}

std::string not_a_stream_message(std::string_view key) { return fmt::format("history key {} is not a stream", key); }

UsageError not_a_stream_error(std::string_view key) { return UsageError(not_a_stream_message(key)); }

}  // namespace rbus
