// Redis Sentinel: finding the master that a redis+sentinel:// URL names, and
// noticing when it moved. The reply parsing and the resolution logic take
// their I/O through SentinelIo, so they are unit-tested without a server;
// connect_sentinel_master() and check_sentinel_master() are the real wiring.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "redis/connection.h"
#include "redis/connect_options.h"
#include "redis/url.h"

namespace rbus {

// "127.0.0.1:6379", "[::1]:6379": as SocketTransport names its peer.
std::string format_host_port(const HostPort& hp);

// The reply to SENTINEL get-master-addr-by-name: [host, port], or nil when
// the sentinel does not know the name (nullopt). Throws ProtocolError for
// anything else.
std::optional<HostPort> parse_master_addr_reply(const redisReply* r);

// The first element of the reply to ROLE: "master", "slave" or "sentinel".
// Throws ProtocolError when the reply is not shaped like one.
std::string parse_role_reply(const redisReply* r);

// The I/O under the resolution, swapped for fakes in tests.
struct SentinelIo {
    // A connection to a sentinel, authenticated. Throws ConnectError.
    std::function<std::unique_ptr<Connection>(const HostPort&)> open_sentinel;
    // A connection to a data node, greeted (AUTH, SETNAME, SELECT). Throws ConnectError.
    std::function<std::unique_ptr<Connection>(const HostPort&)> open_node;
    // Waits between rounds while a failover settles; false when a signal
    // came (stop trying).
    std::function<bool(std::chrono::milliseconds)> pause;
    std::chrono::milliseconds command_timeout{5000};
    // Where the sentinel whose master checked out last is kept ("host:port"; set by
    // resolve_master once ROLE says master, and by a PING tick's check when the
    // answer is the connected node; cleared when the node it named is down or a
    // replica): it is asked first next time, so that an unreachable sentinel
    // earlier in the list delays one round (one connect timeout), not every PING
    // tick. Null: the sentinels are asked in the order given.
    std::shared_ptr<std::string> last_answered;
};

// What the sentinels said, in the order they were asked.
struct SentinelAnswer {
    std::optional<HostPort> master;  // from the first sentinel that knew the name
    std::string sentinel;            // which one said so
    std::vector<std::string> notes;  // why the ones before it did not answer
    bool any_reachable = false;      // some sentinel answered at all
};

// Asks each sentinel in turn for the master's address; stops at the first
// that knows it.
SentinelAnswer ask_sentinels(const std::vector<HostPort>& sentinels, const std::string& master_name,
                             const SentinelIo& io);

struct ResolvedMaster {
    std::unique_ptr<Connection> conn;
    HostPort address;
    std::string sentinel;
};

// Asks the sentinels, connects to the address given and checks with ROLE
// that it is the master. A node that is down or still a replica (a failover
// in progress) is retried, the sentinels asked again, until `within` has
// passed. Throws ConnectError naming every sentinel and node tried: no
// sentinel answered, the name unknown, or no master found in time.
ResolvedMaster resolve_master(const std::vector<HostPort>& sentinels, const std::string& master_name,
                              std::chrono::milliseconds within, const SentinelIo& io);

// The master's address when the sentinels named one other than the node at
// `peer` (a Connection's peer(): "10.0.0.1:6379", "10.0.0.1:6379 (TLS)");
// nothing when it is the same node or no sentinel knew.
std::optional<std::string> moved_master(const SentinelAnswer& answer, std::string_view peer);

// For connect_bus: the master's connection for a redis+sentinel:// URL.
std::unique_ptr<Connection> connect_sentinel_master(const ConnectOptions& options, std::string_view client_name);

// On a quiet subscription's PING tick: asks the sentinels whether the master
// is still the node at `peer` (a Connection's peer()). Throws IoError when a
// sentinel names another address, so that the caller reconnects; does
// nothing when no sentinel answers (the connection may well be fine).
void check_sentinel_master(const ConnectOptions& options, std::string_view peer);

}  // namespace rbus
