// --since / --until: replay the history of the selected channels (rbus's
// streams and RaptorBus's msg: keys), then go live without a gap or a
// duplicate. The subscription is confirmed first; the live messages wait in
// the socket while the replay runs; the replay's event ids are remembered and
// a live event already replayed is skipped. With --until there is no live part.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "redis/connection.h"
#include "bus/consumer.h"
#include "event/run_context.h"
#include "bus/history_keys.h"
#include "bus/history_merge.h"
#include "bus/subscriber.h"

namespace CLI {
class App;
}

namespace rbus {

struct ReplayFlags {
    std::string since, until;
    bool given() const { return !since.empty() || !until.empty(); }
};
// --since, --until (rbus-subscribe, rbus-tail).
void add_replay_options(CLI::App& app, ReplayFlags& flags);

// What one replay read, for -v and the "no history" warning.
struct ReplaySources {
    std::vector<std::string> streams;  // stream keys read
    std::size_t stream_events = 0, msg_keys = 0, msg_events = 0;
};

class HistoryReplay {
public:
    HistoryReplay(const Context& ctx, std::vector<Subscription> subs, ReplayRange range);

    // Reads every source of the selected channels (one connection, closed
    // after; on a Cluster one per master): streams by XRANGE in pages, msg:
    // keys found by SCAN (bounded COUNT, never KEYS) and read by MGET (GETs
    // pipelined on a Cluster). Throws UsageError for a history key of the
    // wrong type, ConnectError when unreachable.
    void read();
    // Hands the events read, in timestamp order, to deliver until it returns false.
    void deliver(const ConsumeHandlers::Deliver& deliver);
    const ReplayMerge& merge() const { return merge_; }
    const ReplaySources& sources() const { return sources_; }

private:
    // On a Cluster (history_replay_cluster.cc): streams on their slot's
    // master, patterns and msg: keys scanned on every master.
    void read_cluster();
    void read_streams(Connection& conn, const Subscription& sub);
    void read_stream(Connection& conn, const std::string& key, std::string_view pattern);
    // On a Cluster, a stream whose slot is being imported by the node of `conn`:
    // ASKING before each XRANGE page (history_replay_cluster.cc).
    void read_stream_asking(Connection& conn, const std::string& key, std::string_view pattern);
    void read_msg_keys(Connection& conn, const Subscription& sub);
    // The values of msg: keys (GET or MGET replies), merged in.
    void add_msg_values(const std::vector<std::string_view>& keys, std::size_t at, const redisReply* const* values,
                        std::size_t n, std::string_view pattern);
    std::vector<std::string_view> scan(Connection& conn, const std::string& match, const char* type);
    // Drops the msg: keys of events already merged (a stream gave them).
    void drop_replayed(std::vector<std::string_view>& msg_keys) const;
    void warn_if_none(const Subscription& sub, std::size_t streams_before, std::size_t msg_before);
    Reply keep(Reply r);

    const Context& ctx_;
    std::vector<Subscription> subs_;
    ReplayRange range_;
    HistoryKeys keys_;
    ReplayMerge merge_;
    ReplaySources sources_;
    std::vector<Reply> replies_;   // SCAN replies: the keys (and msg: channels) found live here
    std::deque<std::string> names_;  // stream keys and channels the items point into
    std::size_t masters_ = 0;        // on a Cluster: the masters read
};

// Replay, then live: the consume loop over the subscriptions, the replay run
// once they are confirmed, live events already replayed skipped. With
// --until: the replay alone, exit 0 at its end (or at --count / --timeout).
// Without --since/--until: consume_subscriptions as before.
int consume_with_history(const Context& ctx, const std::string& client_name, const std::vector<Subscription>& subs,
                         const ReplayFlags& flags, const ConsumeOptions& options, const ConsumeHandlers& handlers,
                         ConsumeStats* stats);

}  // namespace rbus
