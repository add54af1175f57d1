#include "subscribe/group_keepalive.h"

#include <algorithm>

namespace rbus {

std::chrono::milliseconds keepalive_interval(std::chrono::milliseconds claim_idle) {
    return std::clamp(claim_idle / 4, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
}

std::string_view keepalive_script() {
    return "local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1, ARGV[2]) "
           "if #p == 0 then return 0 end "
           "redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID') "
           "return 1";
}

bool keep_entry(Connection& conn, std::string_view stream, std::string_view group, std::string_view consumer,
                std::string_view id, std::chrono::milliseconds timeout) {
    Reply r = conn.command({"EVAL", keepalive_script(), "1", stream, group, consumer, id}, timeout);
    return integer_of(r.get(), "EVAL") == 1;
}

}  // namespace rbus
