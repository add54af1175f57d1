#include "bus/history_record.h"

#include <openssl/evp.h>

#include <array>
#include <vector>

#include <fmt/format.h>

#include "event/event_read.h"
#include "redis/connection.h"
#include "base/error.h"
#include "base/uuid.h"

namespace rbus {
namespace {

// KEYS: stream, seen mark, [msg:{channel}:{id}]. ARGV: body, seen TTL (ms),
// max length (0: none), MINID cutoff (0: none), publish channel ("" none), msg TTL (s).
// Types are checked before anything is written, so a wrong key changes nothing.
constexpr std::string_view kScript = R"lua(
local function wrong(key, want)
  local t = redis.call('TYPE', key)['ok']
  if t ~= 'none' and t ~= want then
    return redis.error_reply('WRONGTYPE history key ' .. key .. ' holds a ' .. t .. ', not a ' .. want)
  end
end
local e = wrong(KEYS[1], 'stream') or wrong(KEYS[2], 'string') or (KEYS[3] and wrong(KEYS[3], 'string'))
if e then return e end
local fresh = redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2])
if fresh then
  redis.call('XADD', KEYS[1], '*', 'envelope', ARGV[1])
  if ARGV[3] ~= '0' then redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', ARGV[3]) end
  if ARGV[4] ~= '0' then redis.call('XTRIM', KEYS[1], 'MINID', ARGV[4]) end
end
if KEYS[3] then redis.call('SET', KEYS[3], ARGV[1], 'EX', ARGV[6]) end
if ARGV[5] ~= '' then return redis.call('PUBLISH', ARGV[5], ARGV[1]) end
if fresh then return 1 end
return 0
)lua";

std::string sha1_hex(std::string_view text) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (EVP_Digest(text.data(), text.size(), md.data(), &len, EVP_sha1(), nullptr) != 1)
        throw Error("cannot compute SHA-1 of the history script");
    std::string hex;
    for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
    return hex;
}

}  // namespace

Duration HistorySettings::seen_ttl() const {
    return retain.count() > 0 ? retain : Duration(std::chrono::hours(24 * 7));
}

std::string_view record_script() { return kScript; }

const std::string& record_script_sha() {
    static const std::string sha = sha1_hex(kScript);
    return sha;
}

void append_record(std::string& out, const HistorySettings& s, const RecordRequest& req, bool use_sha,
                   SystemTime now) {
    std::string stream = s.keys.stream(req.channel);
    std::string seen = s.keys.seen(req.channel, req.id);
    std::string msg = req.raptorbus_copy ? raptorbus_msg_key(req.channel, req.id) : std::string();
    std::string ttl = std::to_string(s.seen_ttl().count());
    std::string max_len = std::to_string(s.max_len);
    std::string minid = "0";
    if (s.retain.count() > 0) {
        auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
        minid = std::to_string(std::max<long long>(1, now_ms - s.retain.count()));
    }
    std::string msg_ttl = std::to_string(raptorbus_msg_ttl(req.channel).count());
    std::vector<std::string_view> args{use_sha ? "EVALSHA" : "EVAL", use_sha ? std::string_view(record_script_sha())
                                                                             : record_script(),
                                       req.raptorbus_copy ? "3" : "2", stream, seen};
    if (req.raptorbus_copy) args.push_back(msg);
    for (std::string_view a : {req.body, std::string_view(ttl), std::string_view(max_len), std::string_view(minid),
                               req.publish_channel, std::string_view(msg_ttl)})
        args.push_back(a);
    append_resp(out, args.data(), args.size());
}

std::string envelope_id(std::string_view body) {
    thread_local EnvelopeReader reader;  // one pass (event_read.h), buffers reused
    const EventRead& r = reader.read(body);
    return r.ok() ? std::string(r.event.id) : uuid_v5(body);
}

bool is_wrong_type(std::string_view reply) { return reply.rfind("WRONGTYPE", 0) == 0; }

std::string history_refusal(std::string_view peer, std::string_view reply) {
    if (is_wrong_type(reply)) return std::string(reply.substr(10));
    return fmt::format("{} refused the history write (event not published): {}", peer, reply);
}

void throw_history_refused(std::string_view peer, std::string_view reply) {
    if (is_wrong_type(reply)) throw UsageError(history_refusal(peer, reply));
    throw ReplyError(history_refusal(peer, reply));
}

}  // namespace rbus
