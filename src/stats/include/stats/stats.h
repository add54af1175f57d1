// What rbus-stats measures: the server (version, uptime, clients, PING round
// trips, channels under the prefix with subscribers, metric counters), the
// traffic in a sampling window, and the --check thresholds.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "redis/connection.h"
#include "app/context.h"
#include "base/duration.h"
#include "base/histogram.h"  // percentile
#include "event/envelope.h"
#include "stats/stats_history.h"
#include "bus/subscriber.h"
#include "stats/traffic.h"

namespace rbus {


struct ChannelSubscribers {
    std::string channel;
    long long subscribers = 0;
};

// One node of a Redis Cluster, over its own connection.
struct NodeSnapshot {
    std::string node;   // "host:port"
    std::string role;   // "master" or "replica"
    std::string error;  // why the node could not be read; empty when it was
    int slots = 0;      // hash slots it serves (masters)
    std::string version;
    long long uptime_seconds = 0;
    long long connected_clients = 0;
    std::vector<double> ping_rtt_ms;
    std::vector<ChannelSubscribers> channels;  // subscriptions held on this node
    long long pattern_subscriptions = 0;
};

struct ServerSnapshot {
    std::string version;
    long long uptime_seconds = 0;
    long long connected_clients = 0;
    std::vector<double> ping_rtt_ms;  // one per sample, in order taken
    std::vector<ChannelSubscribers> channels;
    long long pattern_subscriptions = 0;  // PUBSUB NUMPAT
    std::map<std::string, long long> published_counters;  // channel → metrics:channel:{channel}:published
    // A cluster: the node connected to above, the cluster's own state
    // (CLUSTER INFO cluster_state), and every node; channels and counters then
    // cover the whole cluster.
    bool cluster = false;
    std::string cluster_state;
    std::vector<NodeSnapshot> nodes;

    // NUMSUB of one channel as listed; 0 when it has no subscribers.
    long long subscribers_of(std::string_view channel) const;
};

// Takes ping_samples PINGs and reads INFO, PUBSUB and the metrics counters (SCAN, never KEYS).
// With ctx.sharded, the channels are the sharded ones (PUBSUB SHARDCHANNELS/SHARDNUMSUB).
// On a cluster, also reads every node (stats_nodes.h).
ServerSnapshot snapshot_server(Connection& conn, const Context& ctx, int ping_samples);


// One value from an INFO reply ("redis_version" → "7.0.15"); empty when absent.
std::string info_field(std::string_view info, std::string_view key);

// Everything one report shows.
struct StatsReport {
    std::string url;  // redacted
    std::string prefix;
    std::optional<std::string> workspace;
    bool tls = false, tls_verified = false;  // --insecure: TLS without checking the certificate
    ServerSnapshot server;
    std::optional<TrafficStats> traffic;  // absent with --duration 0
    std::optional<HistorySnapshot> history;  // absent when not read (--check without history thresholds)
};

// Watches PSUBSCRIBE {prefix}.* and counts what arrives, window after window.
// Sharded pub/sub has no patterns: with ctx.sharded it watches, with
// SSUBSCRIBE, the sharded channels the snapshot found (those with subscribers).
// With `beats`, it also listens to sys.global.heartbeat (not counted as
// traffic unless under the prefix) and hands each beat to the tracker.
class TrafficSampler {
public:
    TrafficSampler(const Context& ctx, const ServerSnapshot& server, std::size_t max_bytes,
                   HeartbeatTracker* beats = nullptr);
    ~TrafficSampler();
    // Connects and waits for the subscription; the first window starts then.
    void start();
    // Counts messages until `end` or a SIGINT/SIGTERM, then returns the window
    // since the previous call (or start()) and begins the next one.
    // A connection the server drops meanwhile is reconnected (with backoff) and
    // the window goes on; the returned stats say how often and for how long.
    TrafficStats sample_until(Clock::time_point end);

private:
    // After a drop: reconnects until `end`; adds the time without a subscription.
    void resume(const std::string& why, Clock::time_point end);
    void start_subscriptions();
    void close_subscriptions();

    std::unique_ptr<BusSubscriber> sub_;  // none: --sharded and no channel to watch
    TrafficWindow window_;
    Clock::time_point window_start_;
    std::uint64_t drops_ = 0;
    Clock::duration dropped_{};
    HeartbeatTracker* beats_ = nullptr;
    bool beats_are_traffic_ = false;  // the heartbeat channel is among what the sampler counts
};

// --min-subscribers TYPE=N: at least N subscribers on {prefix}.{TYPE}.
struct MinSubscribers {
    std::string type;
    long long count = 0;
};
// Parses TYPE=N (N a whole number >= 0); throws UsageError.
MinSubscribers parse_min_subscribers(std::string_view text);

struct CheckThresholds {
    std::optional<Duration> max_rtt;  // compared with the PING p99
    std::vector<MinSubscribers> min_subscribers;
};

// Every threshold that failed, as short phrases ("PING p99 0.31ms > 0ms"); empty when healthy.
std::vector<std::string> check_failures(const StatsReport& report, const Context& ctx, const CheckThresholds& t);

// What the rbus-stats flags ask for.
struct StatsOptions {
    std::optional<Duration> duration;  // --duration as given; the default window is 5s
    bool json = false, prometheus = false, watch = false, check = false;
    Duration interval{1000};  // --watch refresh, and its window
    int ping_samples = 10;
    std::size_t max_bytes = 16 * 1024 * 1024;  // --max-bytes: a larger message is invalid, not read
    CheckThresholds thresholds;
    HistoryThresholds history_thresholds;     // --max-pending, --max-dlq, --max-lag, --min-agents
    std::size_t scan_limit = kDefaultScanLimit;  // --scan-limit: keys one SCAN walk covers at most
};
inline constexpr Duration kDefaultWindow{5000};

// Runs one report, a --watch loop or a --check, writing to stdout; returns the exit code.
int run_stats(const Context& ctx, const StatsOptions& options);

}  // namespace rbus
