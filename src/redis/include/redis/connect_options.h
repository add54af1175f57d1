// Where and how to reach the bus: the settings a connection is opened with.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "redis/cluster_hosts.h"
#include "redis/tls_transport.h"
#include "redis/url.h"

namespace rbus {

struct ConnectOptions {
    RedisUrl url;
    TlsOptions tls;
    std::chrono::milliseconds connect_timeout{5000};
    // Bound on each command's reply on a live connection.
    std::chrono::milliseconds reply_timeout{10000};
    // redis+sentinel://: AUTH to the sentinels (the URL's password is the
    // data nodes'). Never printed.
    std::string sentinel_password;
    // --cluster-hosts: where the credentials may follow the topology (empty: anywhere).
    HostAllowList cluster_hosts;
    // The largest reply (or pub/sub frame) read from a server; a larger one is
    // refused before it is buffered (exit 3). Readers raise it with --max-bytes.
    std::size_t max_reply_bytes = 32 * 1024 * 1024;
};

}  // namespace rbus
