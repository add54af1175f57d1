// --since / --until: replay the history of the selected channels (rbus's
// streams and RaptorBus's msg: keys), then go live without a gap or a
// duplicate. The subscription is confirmed first; the live messages wait in
// the socket while the replay runs; the replay's event ids are remembered and
// a live event already replayed is skipped. With --until there is no live part.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "redis/connection.h"
#include "bus/consumer.h"
#include "event/run_context.h"
#include "bus/history_cursor.h"
#include "bus/history_keys.h"
#include "bus/history_merge.h"
#include "bus/history_scan.h"
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
    std::size_t stream_events = 0, msg_keys = 0;
    // Events handed out ahead while the SCAN walked; of those, taken back
    // (the SCAN found msg: keys and the replay started again).
    std::size_t read_ahead = 0, taken_back = 0;
};

class HistoryReplay {
public:
    HistoryReplay(const Context& ctx, std::vector<Subscription> subs, ReplayRange range);
    // The run's --timeout: the SCANs and whole reads of read(), finish_scan()
    // and read_again(), and the waits for stream pages while delivering,
    // throw RunTimedOut once it has passed (a SCAN of a large keyspace, or a
    // server that stalls, does not keep the tool past it).
    void set_run_deadline(Deadline d) { run_until_ = d; }

    // Finds the sources of the selected channels: streams (their first pages
    // read, so a key of the wrong type fails here: UsageError) and msg: keys
    // found by SCAN (bounded COUNT, never KEYS) and read by MGET (GETs
    // pipelined on a Cluster). On one node the msg: keys (in no order) are
    // read whole here and the streams as they are delivered
    // (history_cursor.h), unless the msg: keys are about as many as the
    // streams' entries: then the streams too are read whole here, first. On a
    // Cluster every source is read whole here, one connection per master. Throws ConnectError when unreachable.
    //
    // With `ahead` (one node that takes a second connection; returns whether it did): the streams are
    // opened as if there were no msg: keys and the SCAN for them is left
    // walking on a second connection, for deliver_ahead(); finish_scan() then
    // says whether it found any (else read_again() is not needed).
    bool read(bool ahead = false);
    // Hands the events, in timestamp order, to deliver until it returns false
    // (the merge, history_merge.h), going on after what deliver_ahead() handed
    // out; the connections are closed after.
    void deliver(const ConsumeHandlers::Deliver& deliver);
    // What deliver() does at its end: -v says what was read, the connections are closed.
    void end();

    // Printing ahead of the SCAN. What the caller does with an event handed
    // out ahead: go on, stop after it, or stop before it (it is offered again
    // first by deliver(): an invalid event, whose report cannot be taken back).
    enum class Ahead { go, stop, stop_before };
    using AheadDeliver = std::function<Ahead(const BusMessage&, const EventRead* read)>;
    // Hands out the streams' events while the SCAN walks, until it ends or
    // finds a msg: key, until `deliver` stops, or the streams end. The caller
    // holds what it makes of them until finish_scan() says none was found.
    void deliver_ahead(const AheadDeliver& deliver);
    // Waits for the SCAN's end; true when it found msg: keys of the selected
    // channels: what was handed out ahead must be taken back and
    // read_again() called before deliver().
    bool finish_scan();
    // The sources read anew, with the msg: keys the SCAN found, as read() does.
    void read_again();
    const ReplayMerge& merge() const { return merge_; }

private:
    // On a Cluster (history_replay_cluster.cc): streams on their slot's
    // master, patterns and msg: keys scanned on every master.
    void read_cluster();
    // One node: conn_ connected; false on a Cluster (a node of one as the URL too).
    bool connect_node();
    // After the streams are found (streams_, lengths_): every source read or
    // opened, the msg: keys' (each subscription's) read whole.
    void read_sources(std::vector<std::vector<std::string_view>> msg_keys);
    // The streams' cursors on conn_, their first pages asked for.
    void open_cursors(const std::vector<std::vector<std::string_view>>& streams);
    // The sources in the merge's order (each subscription's runs read whole,
    // its streams, its msg: keys), the streams' first pages read; whether
    // each subscription has any history.
    std::vector<bool> order_sources(const std::vector<std::vector<std::string_view>>& streams,
                                    const std::vector<std::vector<ReplaySource*>>& stream_runs,
                                    const std::vector<ReplaySource*>& msg_runs);
    // The SCAN started on a second connection, the streams opened; false
    // (nothing started) when the server takes no second connection.
    bool start_ahead();
    // The stream keys of a subscription (SCAN for a pattern), kept in names_.
    std::vector<std::string_view> stream_keys(Connection& conn, const Subscription& sub);
    // A stream read whole into a run of the merge (on a Cluster: `asking`,
    // ASKING before each page, for a slot the node of `conn` is importing).
    void collect_stream(Connection& conn, std::string_view key, std::string_view pattern, bool asking);
    ReplaySource* add_run(std::unique_ptr<ReplaySource> run);  // kept until delivered
    // The streams' lengths together (XLEN, pipelined).
    std::size_t stream_lengths(Connection& conn, const std::vector<std::string_view>& keys);
    // Each subscription's msg: keys on the node of `conn`: one SCAN for all.
    std::vector<std::vector<std::string_view>> scan_msg_keys(Connection& conn);
    void read_msg_keys(Connection& conn, const std::vector<std::string_view>& keys, std::string_view pattern);
    // The values of msg: keys (GET or MGET replies), merged in.
    void add_msg_values(const std::vector<std::string_view>& keys, std::size_t at, const redisReply* const* values,
                        std::size_t n, std::string_view pattern);
    std::vector<std::string_view> scan(Connection& conn, const std::string& match, const char* type);
    // Drops the msg: keys of events already collected (a stream read whole gave them).
    void drop_replayed(std::vector<std::string_view>& msg_keys) const;
    void warn_if_none(const Subscription& sub, bool any);

    const Context& ctx_;
    std::vector<Subscription> subs_;
    ReplayRange range_;
    Deadline run_until_;
    HistoryKeys keys_;
    ReplayMerge merge_;
    ReplaySources sources_;
    std::unique_ptr<Connection> conn_;     // one node: the streams read as they are delivered
    std::unique_ptr<StreamPages> pages_;   // on conn_
    std::vector<std::unique_ptr<StreamCursor>> cursors_;  // streams read as they are delivered
    std::vector<std::unique_ptr<ReplaySource>> runs_;  // what was read whole
    std::vector<ReplaySource*> sources_order_;         // cursors and runs, in the order the merge ranks ties
    std::vector<Reply> replies_;   // SCAN replies: the keys (and msg: channels) found live here
    std::deque<std::string> names_;  // stream keys and channels the items point into
    std::size_t masters_ = 0;        // on a Cluster: the masters read
    std::size_t replayed_ = 0;       // events handed out
    bool begun_ = false;             // the merge begun (handing out ahead)
    // One node: each subscription's stream keys and their lengths together.
    std::vector<std::vector<std::string_view>> streams_;
    std::vector<std::size_t> lengths_;
    // Printing ahead: the SCAN on its own connection, what it found, and
    // whether each subscription has a stream.
    std::unique_ptr<Connection> scan_conn_;
    std::unique_ptr<StepScan> scan_;
    std::vector<std::vector<std::string_view>> msg_keys_;
    std::vector<bool> any_stream_;
};

// Replay, then live: the consume loop over the subscriptions, the replay run
// once they are confirmed, live events already replayed skipped. With
// --until: the replay alone, exit 0 at its end (or at --count / --timeout).
// Without --since/--until: consume_subscriptions as before.
int consume_with_history(const Context& ctx, const std::string& client_name, const std::vector<Subscription>& subs,
                         const ReplayFlags& flags, const ConsumeOptions& options, const ConsumeHandlers& handlers,
                         ConsumeStats* stats);

}  // namespace rbus
