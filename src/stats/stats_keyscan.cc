#include "stats/stats_keyscan.h"

#include <algorithm>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "base/error.h"
#include "base/signals.h"

namespace rbus {
namespace {

constexpr std::size_t kScanPage = 1000;  // SCAN COUNT, and GETs per pipeline

void read_persisted_beats(Connection& conn, const std::vector<std::string>& keys, std::chrono::milliseconds timeout,
                          HeartbeatTracker& beats) {
    // One GET per key, pipelined in pages: on a cluster node the keys are in
    // different slots, and an MGET across slots is refused.
    for (std::size_t at = 0; at < keys.size(); at += kScanPage) {
        std::size_t end = std::min(keys.size(), at + kScanPage);
        for (std::size_t i = at; i < end; ++i) conn.append({"GET", keys[i]});
        Deadline deadline = deadline_after(timeout);
        conn.flush(deadline);
        for (std::size_t i = at; i < end;) {
            Reply r = conn.read_reply(deadline);
            if (!r) {
                throw_if_interrupted();
                if (deadline && Clock::now() >= *deadline)
                    throw TimeoutError(fmt::format("no reply from {} within {}ms", conn.peer(), timeout.count()));
                continue;
            }
            ++i;
            if (r->type == REDIS_REPLY_STRING)  // else expired since the SCAN
                beats.persisted(reply_text(r.get()), std::chrono::system_clock::now());
        }
    }
}

}  // namespace

long long RaptorbusKeys::persisted_total() const {
    long long n = 0;
    for (const auto& [channel, count] : persisted) n += count;
    return n;
}

long long RaptorbusKeys::dlq_total() const {
    long long n = 0;
    for (const auto& [reason, count] : dlq) n += count;
    return n;
}

RaptorbusKey classify_raptorbus_key(std::string_view key) {
    constexpr std::string_view msg = "msg:", dlq = "dlq:sys.dlq.";
    RaptorbusKey k;
    std::size_t last = key.rfind(':');
    if (key.substr(0, dlq.size()) == dlq && last != std::string_view::npos && last > dlq.size())
        k.reason = key.substr(dlq.size(), last - dlq.size());
    else if (key.substr(0, msg.size()) == msg && last != std::string_view::npos && last > msg.size() &&
             last + 1 < key.size())
        k.channel = key.substr(msg.size(), last - msg.size());
    return k;
}

RaptorbusKeys scan_raptorbus_keys(Connection& conn, std::size_t limit, std::chrono::milliseconds timeout,
                                  HeartbeatTracker& beats) {
    RaptorbusKeys out;
    out.limit = limit;
    std::vector<std::string> heartbeat_keys;
    std::unordered_set<std::string> seen;  // SCAN may return a key twice (while the server rehashes)
    std::string cursor = "0";
    do {
        std::size_t count = std::min(kScanPage, limit - out.examined);
        Reply r = conn.command({"SCAN", cursor, "COUNT", std::to_string(count), "TYPE", "string"}, timeout);
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[1]->type != REDIS_REPLY_ARRAY)
            throw ProtocolError("unexpected reply to SCAN");
        cursor.assign(reply_text(r->element[0]));
        out.examined += count;
        const redisReply* keys = r->element[1];
        for (std::size_t i = 0; i < keys->elements; ++i) {
            std::string_view key = reply_text(keys->element[i]);
            RaptorbusKey k = classify_raptorbus_key(key);
            if (k.reason.empty() && k.channel.empty()) continue;
            if (!seen.emplace(key).second) continue;
            if (!k.reason.empty()) {
                ++out.dlq[std::string(k.reason)];
            } else if (!k.channel.empty()) {
                ++out.persisted[std::string(k.channel)];
                if (k.channel == kHeartbeatChannel) heartbeat_keys.emplace_back(key);
            }
        }
        throw_if_interrupted();
    } while (cursor != "0" && out.examined < limit);
    out.complete = cursor == "0";
    read_persisted_beats(conn, heartbeat_keys, timeout, beats);
    return out;
}

}  // namespace rbus
