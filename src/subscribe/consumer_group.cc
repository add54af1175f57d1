#include "subscribe/consumer_group.h"

#include <unistd.h>

#include <algorithm>
#include <climits>

#include <fmt/format.h>

#include "redis/connect.h"
#include "bus/dlq.h"
#include "base/error.h"
#include "subscribe/group_keepalive.h"
#include "subscribe/group_rescan.h"
#include "redis/crc16.h"
#include "base/log.h"
#include "base/named_file.h"
#include "base/signals.h"
#include "base/uuid.h"

namespace rbus {

std::string default_consumer_name() {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "%s", "host");
    return fmt::format("{}-{}", host, static_cast<long>(::getpid()));
}

GroupConsumer::GroupConsumer(const Context& ctx, std::vector<Subscription> subs, GroupOptions options,
                             EventSink& sink, const ConsumeOptions& consume)
    : ctx_(ctx), subs_(std::move(subs)), o_(std::move(options)), sink_(sink), consume_(consume),
      keys_(ctx.history_prefix),
      rescan_(std::any_of(subs_.begin(), subs_.end(), [](const Subscription& s) { return s.pattern; })) {
    if (o_.consumer.empty()) o_.consumer = default_consumer_name();
    read_ahead_ = !sink_.runs_handlers();
    if (o_.batch == 0) o_.batch = read_ahead_ ? kBatchPrinting : kBatchHandlers;
    sink_.set_handler_heartbeat(keepalive_interval(o_.claim_idle), [this] { keep_running(); });
}

void GroupConsumer::keep_running() {
    if (!running_ || (!conn_ && !cluster_) || running_lost_) return;
    const auto& [key, id] = *running_;
    try {
        if (keep_entry(on(key), key, o_.group, o_.consumer, id, ctx_.connect.reply_timeout)) return;
        running_lost_ = true;
        logger().warn("event {} on {} was claimed by another consumer while its handler ran", id,
                      keys_.channel_of_stream(key));
    } catch (const Error& e) {
        logger().warn("could not keep event {} while its handler runs: {}", id, e.what());
    }
}

Connection& GroupConsumer::on(std::string_view key) {
    if (!cluster_) return *conn_;
    return cluster_->owner_of(hash_slot(key));
}

Reply GroupConsumer::command(const std::vector<std::string_view>& args) {
    std::string_view key = args.size() > 2 && args[0] == "XGROUP" ? args[2] : args.size() > 1 ? args[1] : "";
    park_read_ahead();  // its reply comes first
    try {
        // On a Cluster: on the master of the key's slot, MOVED and ASK followed.
        if (cluster_ && !key.empty()) return cluster_->command(hash_slot(key), args);
        return conn_->command(args, ctx_.connect.reply_timeout);
    } catch (const ReplyError& e) {
        std::string_view what = e.what();
        if (what.rfind("WRONGTYPE", 0) == 0 && args.size() > 1) {
            std::string bad = args[0] == "XREADGROUP" ? not_a_stream(streams_) : std::string(args[1]);
            if (!bad.empty()) throw not_a_stream_error(bad);
        }
        throw;
    }
}

std::string GroupConsumer::not_a_stream(const std::vector<std::string>& keys) {
    for (const std::string& key : keys) {
        Reply t = on(key).command({"TYPE", key}, ctx_.connect.reply_timeout);
        std::string_view type = t->type == REDIS_REPLY_STATUS ? reply_text(t.get()) : "";
        if (type != "stream" && type != "none") return key;
    }
    return {};
}

std::vector<std::string> GroupConsumer::stream_keys() {
    std::vector<std::string> keys;
    for (const Subscription& sub : subs_) {
        if (!sub.pattern) {
            keys.push_back(keys_.stream(sub.name));
            continue;
        }
        std::vector<Connection*> nodes{conn_.get()};  // on a Cluster: every master holds its own slots' keys
        if (cluster_) {
            nodes.clear();
            for (const HostPort& m : cluster_->masters()) nodes.push_back(&cluster_->node(m));
        }
        for (Connection* node : nodes) {
            std::string cursor = "0";
            do {
                // Keys of every type: one that is not a stream is exit 2, as for one type.
                Reply r = node->command({"SCAN", cursor, "MATCH", keys_.stream_pattern(sub.name), "COUNT", "1000"},
                                        ctx_.connect.reply_timeout);
                if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) throw ProtocolError("unexpected reply to SCAN");
                cursor.assign(reply_text(r->element[0]));
                for (std::size_t i = 0; i < r->element[1]->elements; ++i)
                    keys.emplace_back(reply_text(r->element[1]->element[i]));
            } while (cursor != "0");
        }
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
}

std::vector<std::string> GroupConsumer::create_groups(const std::vector<std::string>& keys, std::string_view start,
                                                     bool found_later) {
    std::vector<std::string> read;
    for (const std::string& key : keys) {
        try {
            on(key).command({"XGROUP", "CREATE", key, o_.group, start, "MKSTREAM"}, ctx_.connect.reply_timeout);
            logger().info("created group {} on {} at {}", o_.group, key, start);
            read.push_back(key);
        } catch (const ReplyError& e) {
            std::string_view what = e.what();
            if (what.rfind("BUSYGROUP", 0) == 0) {  // an existing group continues where it is
                if (o_.start_id != "$" && !said_busy_)  // --since given: a kcat user expects a reset
                    logger().warn("group {} exists on {}: it continues where it is (--since places a new group only; "
                                  "XGROUP SETID moves one)",
                                  o_.group, key);
                said_busy_ = said_busy_ || o_.start_id != "$";
                read.push_back(key);
                continue;
            }
            if (what.rfind("WRONGTYPE", 0) != 0) throw;
            // At the start the setup is wrong: exit 2. A stray key that a pattern
            // finds later does not end a consumer that is serving other streams.
            if (!found_later) throw not_a_stream_error(key);
            if (not_streams_.insert(key).second)
                logger().warn("history key {} is not a stream: not read (looked at again every {}s)", key,
                              std::chrono::duration_cast<std::chrono::seconds>(kRetryNotStreamsEvery * GroupRescan::kEvery)
                                  .count());
        }
    }
    return read;
}

void GroupConsumer::open() {
    if (cluster_by_flags(ctx_)) {
        cluster_ = std::make_unique<ClusterSlots>(ctx_.connect, "rbus-subscribe-group");
    } else {
        conn_ = connect_bus(ctx_.connect, "rbus-subscribe-group");
        if (is_cluster_node(*conn_, ctx_.connect.reply_timeout)) {  // one node of a cluster as the URL
            conn_.reset();
            cluster_ = std::make_unique<ClusterSlots>(ctx_.connect, "rbus-subscribe-group");
        }
    }
    if (cluster_) cluster_->start();
    Clock::time_point t0 = Clock::now();
    streams_ = stream_keys();
    rescan_.scanned(t0, Clock::now());
    // Every key's type first: a key of another type is exit 2 before any group was made.
    if (std::string bad = not_a_stream(streams_); !bad.empty())
        throw not_a_stream_error(bad);
    if (streams_.empty())
        logger().warn("--group: no history stream matches yet; waiting for one (looking again every {})",
                      log_lazy([] { return format_duration(GroupRescan::kEvery); }));
    create_groups(streams_, o_.start_id);
}

void GroupConsumer::rescan() {
    Clock::time_point t0 = Clock::now();
    std::vector<std::string> found = stream_keys();
    rescan_.scanned(t0, Clock::now());
    // Keys of another type found before: left out until they are gone, or
    // tried again every kRetryNotStreamsEvery rescans (made a stream meanwhile).
    std::erase_if(not_streams_, [&](const std::string& k) { return !std::binary_search(found.begin(), found.end(), k); });
    std::vector<std::string> fresh = new_streams(found, streams_);
    if (++rescans_ % kRetryNotStreamsEvery != 0)
        std::erase_if(fresh, [&](const std::string& k) { return not_streams_.count(k) > 0; });
    if (fresh.empty()) return;
    fresh = create_groups(fresh, start_on_new_stream(o_.start_id), true);
    for (const std::string& key : fresh) not_streams_.erase(key);
    if (fresh.empty()) return;
    for (const std::string& key : fresh) logger().info("reading {} too: a new history stream", key);
    streams_.insert(streams_.end(), fresh.begin(), fresh.end());
    std::sort(streams_.begin(), streams_.end());
}

long long GroupConsumer::deliveries_of(std::string_view key, std::string_view id) {
    Reply r = command({"XPENDING", key, o_.group, id, id, "1"});
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->type == REDIS_REPLY_ARRAY &&
        r->element[0]->elements == 4 && r->element[0]->element[3]->type == REDIS_REPLY_INTEGER)
        return r->element[0]->element[3]->integer;
    return 1;
}

std::vector<GroupConsumer::Pending> GroupConsumer::claim(std::size_t limit, bool own) {
    std::vector<Pending> out;
    std::string idle = std::to_string(o_.claim_idle.count());
    for (const std::string& key : streams_) {
        if (out.size() >= limit) break;
        // What is still needed, not the whole limit again on each stream: a claim counts a delivery.
        std::string count = std::to_string(limit - out.size());
        std::vector<StreamEntry> entries;
        Reply r;
        if (own) {  // a restart under the same name: what it had is still its own
            Reply p = command({"XPENDING", key, o_.group, "-", "+", count, o_.consumer});
            if (p->type != REDIS_REPLY_ARRAY || p->elements == 0) continue;
            std::vector<std::string_view> args{"XCLAIM", key, o_.group, o_.consumer, "0"};
            for (std::size_t i = 0; i < p->elements; ++i) args.push_back(reply_text(p->element[i]->element[0]));
            r = command(args);
            parse_entries(r.get(), entries, "XCLAIM");
            held_.push_back(std::move(p));
        } else {
            r = command({"XAUTOCLAIM", key, o_.group, o_.consumer, idle, "0-0", "COUNT", count});
            if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) throw ProtocolError("unexpected reply to XAUTOCLAIM");
            parse_entries(r->element[1], entries, "XAUTOCLAIM");
            if (!entries.empty())
                logger().info("claimed {} event(s) idle for {} or more on {}", entries.size(),
                              log_lazy([this] { return format_duration(o_.claim_idle); }), key);
        }
        for (const StreamEntry& e : entries) out.push_back(Pending{key, e, deliveries_of(key, e.id)});
        held_.push_back(std::move(r));
    }
    return out;
}

bool GroupConsumer::done(const ConsumeStats& st) const { return consume_.count && st.matched >= *consume_.count; }

std::size_t GroupConsumer::want(const ConsumeStats& st, std::size_t in_hand) const {
    if (!consume_.count) return o_.batch;
    std::uint64_t still = *consume_.count - std::min<std::uint64_t>(*consume_.count, st.matched + in_hand);
    return static_cast<std::size_t>(std::min<std::uint64_t>(o_.batch, still));
}

void GroupConsumer::dead_letter(std::string_view key, const StreamEntry& e, std::string_view reason,
                                long long deliveries, std::optional<int> exit_status, std::string details) {
    DeadLetter d;
    d.envelope = e.envelope();
    d.reason = reason;
    std::string channel(keys_.channel_of_stream(key));
    d.channel = channel;
    d.stream = key;
    d.entry_id = e.id;
    d.group = o_.group;
    d.consumer = o_.consumer;
    d.deliveries = deliveries;
    d.exit_status = exit_status;
    d.error_details = std::move(details);
    if (cluster_) {
        dlq_move_on_cluster(*cluster_, keys_, d, uuid_v4(), std::chrono::system_clock::now());
        ++stats_.dlq_sent;
        logger().warn("event {} on {} moved to the DLQ ({}): {}", e.id, channel, reason, d.error_details);
        return;
    }
    park_read_ahead();  // its reply comes first
    std::string cmds;
    append_dlq_move(cmds, keys_, d, uuid_v4(), std::chrono::system_clock::now());
    conn_->append_raw(cmds);
    Deadline deadline = deadline_after(ctx_.connect.reply_timeout);
    conn_->flush(deadline);
    for (int i = 0; i < kDlqMoveReplies; ++i) {
        Reply r = conn_->read_reply(deadline);
        if (!r) throw TimeoutError(fmt::format("no reply from {} to the DLQ move", conn_->peer()));
        if (r->type != REDIS_REPLY_ERROR) continue;
        std::string_view error = reply_text(r.get());
        if (error.rfind("WRONGTYPE", 0) == 0)  // the script stopped at its first step: nothing written, still pending
            throw UsageError(fmt::format("DLQ key {} is not a stream: event {} was not moved to the DLQ (left pending)",
                                         keys_.dlq(), e.id));
        throw ReplyError(fmt::format("{} refused the DLQ move of event {} (left pending): {}", conn_->peer(), e.id,
                                     error.substr(0, error.find(" script:"))));
    }
    ++stats_.dlq_sent;
    logger().warn("event {} on {} moved to the DLQ ({}): {}", e.id, channel, reason, d.error_details);
}

bool GroupConsumer::handle(std::string_view key, const StreamEntry& e, long long deliveries, ConsumeStats& st) {
    // No handler starts once SIGINT/SIGTERM or --timeout came: the rest of the
    // batch stays pending for redelivery (a signal ends the run; the deadline
    // ends it at the next round).
    if (sink_.runs_handlers()) {
        if (pending_signal()) return false;
        if (run_over()) return true;
    }
    std::string_view channel = keys_.channel_of_stream(key);
    ++st.received;
    if (!e.fields) {  // deleted from the stream while pending: nothing to handle
        command({"XACK", key, o_.group, e.id});
        return true;
    }
    BusMessage m{channel, e.envelope(), {}};
    if (m.data.size() > consume_.max_bytes) {  // never read as JSON (SPEC: --max-bytes)
        dead_letter(key, e, kReasonSchema, deliveries, std::nullopt,
                    fmt::format("{} bytes, larger than --max-bytes {}", m.data.size(), consume_.max_bytes));
        return true;
    }
    for (;;) {
        const EventRead& read = reader_.read(m.data);  // one pass (event_read.h)
        if (!read.ok()) {
            dead_letter(key, e, kReasonSchema, deliveries, std::nullopt, read.error);
            return true;
        }
        running_.emplace(key, e.id);
        running_lost_ = false;
        bool matched = sink_.on_event(ReceivedEvent{m, read, std::chrono::system_clock::now()});
        running_.reset();
        const auto& result = sink_.last_handler();
        if (!result || result->ok()) {
            if (matched) ++st.matched;
            to_ack_.emplace_back(key, e.id);  // views into a reply kept until acknowledged
            if (result) ack_pending_acks();  // a handler's work is done: acknowledge it now
            return true;
        }
        if (pending_signal()) return false;  // the handler was stopped: left pending for redelivery
        if (result->run_over) {  // ended by --timeout, not failed: no delivery spent on it
            logger().info("event {}: its handler was ended by --timeout: left pending for redelivery", e.id);
            return true;
        }
        if (deliveries >= o_.max_deliveries) {
            dead_letter(key, e, kReasonMaxRetries, deliveries, result->exit_code,
                        fmt::format("handler failed ({}) after {} deliveries", result->describe(), deliveries));
            return true;
        }
        // Delivered again: XCLAIM counts the delivery and keeps the entry ours.
        command({"XCLAIM", key, o_.group, o_.consumer, "0", e.id});
        ++deliveries;
        ++stats_.retried;
        logger().info("event {} failed ({}); delivery {} of {}", e.id, log_lazy([&] { return result->describe(); }),
                      deliveries, o_.max_deliveries);
    }
}

void GroupConsumer::leave() {
    if (!conn_ && !cluster_) return;
    for (const std::string& key : streams_) {
        Reply p = command({"XPENDING", key, o_.group, "-", "+", "1", o_.consumer});
        if (p->type == REDIS_REPLY_ARRAY && p->elements == 0)
            command({"XGROUP", "DELCONSUMER", key, o_.group, o_.consumer});
    }
}

void GroupConsumer::leave_after_signal() {
    // Briefly: a server that cannot be reached within a second does not hold the exit.
    ConnectOptions brief = ctx_.connect;
    brief.connect_timeout = std::min(brief.connect_timeout, std::chrono::milliseconds(1000));
    brief.reply_timeout = std::min(brief.reply_timeout, std::chrono::milliseconds(1000));
    try {
        conn_ = connect_bus(brief, "rbus-subscribe-group");
        leave();  // entries the dropped read delivered are pending: the consumer then stays, and they are claimed
    } catch (const Interrupted&) {  // a second signal: exit now
    } catch (const Error& e) {
        logger().info("left the consumer {} in the group: {}", o_.consumer, e.what());
    }
    conn_.reset();
}

std::vector<std::pair<Connection*, std::vector<std::string>>> GroupConsumer::streams_by_node() {
    // One read per node; on a Cluster one per slot, since a command's keys must
    // share a slot there even on one master (CROSSSLOT): each channel's stream
    // has its own hash tag.
    std::vector<std::pair<Connection*, std::vector<std::string>>> nodes;
    std::vector<long> slots;
    for (const std::string& key : streams_) {
        Connection* c = &on(key);
        long slot = cluster_ ? static_cast<long>(hash_slot(key)) : -1;
        std::size_t i = 0;
        while (i < nodes.size() && !(nodes[i].first == c && slots[i] == slot)) ++i;
        if (i == nodes.size()) {
            nodes.push_back({c, {}});
            slots.push_back(slot);
        }
        nodes[i].second.push_back(key);
    }
    return nodes;
}

void GroupConsumer::append_read(Connection& conn, const std::vector<std::string>& keys, std::size_t count,
                                std::optional<std::chrono::milliseconds> block) {
    std::string n = std::to_string(count), block_ms = block ? std::to_string(block->count()) : "";
    std::vector<std::string_view> args{"XREADGROUP", "GROUP", o_.group, o_.consumer, "COUNT", n};
    if (block) {
        args.push_back("BLOCK");
        args.push_back(block_ms);
    }
    args.push_back("STREAMS");
    for (const std::string& k : keys) args.push_back(k);
    for (std::size_t i = 0; i < keys.size(); ++i) args.push_back(">");
    conn.append(args);
}

int GroupConsumer::read_node(Connection& conn, const std::vector<std::string>& keys,
                             std::optional<std::chrono::milliseconds> block, bool may_read_ahead, ConsumeStats& st) {
    // The reply to a read sent ahead is owed now; it did not block, so it
    // comes soon even when a signal came meanwhile (what was handled before it
    // is still to be acknowledged: the connection is kept).
    const bool was_ahead = ahead_;
    std::size_t asked = ahead_count_;
    Reply r;
    if (was_ahead) {
        r = read_ahead_reply();
        ahead_ = false;
    } else {
        asked = want(st);
        append_read(conn, keys, asked, block);
        auto most = block.value_or(std::chrono::milliseconds(0)) + ctx_.connect.reply_timeout;
        Deadline wait = Clock::now() + most;
        conn.flush(wait);
        acks_unsent_ = false;  // read_reply below takes their replies first
        while (!(r = conn.read_reply(wait))) {
            if (pending_signal()) {
                // The read is still owed a reply: drop the connection rather than mix it up.
                conn_.reset();
                if (!cluster_) leave_after_signal();
                cluster_.reset();
                return signal_exit_code(pending_signal());
            }
            if (Clock::now() >= *wait)
                throw TimeoutError(fmt::format("no reply from XREADGROUP within {}", format_duration(most)));
        }
    }
    if (r->type == REDIS_REPLY_ERROR) {
        std::string_view what = reply_text(r.get());
        if (what.rfind("NOGROUP", 0) == 0) {  // a stream deleted and recreated: make the group again
            create_groups(keys, o_.start_id);
            return -1;
        }
        // A slot moved (MOVED), or its stream left this node while the read waited
        // (UNBLOCKED, as MIGRATE does): the next round reads it where it is.
        if (what.rfind("UNBLOCKED", 0) == 0 || (cluster_ && cluster_->moved(what))) return -1;
        if (cluster_ && what.rfind("ASK ", 0) == 0) {  // its slot is being migrated: read again once it is done
            sleep_unless_signal(std::chrono::milliseconds(50));
            return -1;
        }
        if (what.rfind("WRONGTYPE", 0) == 0)  // a stream replaced by a key of another type while read
            if (std::string bad = not_a_stream(keys); !bad.empty())
                throw not_a_stream_error(bad);
        throw ReplyError(fmt::format("{} refused XREADGROUP: {}", conn.peer(), what));
    }
    // The batch's reply is a member while it is handled: to_ack_ views into
    // it, and must stay valid whatever ends the handling (a lost connection's
    // IoError, then a reconnect that acknowledges what was handled). The
    // batch before it stays until its XACKs are queued.
    if (batch_reply_) acked_replies_.push_back(std::move(batch_reply_));
    batch_reply_ = std::move(r);
    batch_.clear();
    parse_read_reply(batch_reply_.get(), batch_, "XREADGROUP");
    if (was_ahead && pending_signal()) {  // the signal came between two batches: this one stays ours
        log_left_pending(batch_.size());
        return signal_exit_code(pending_signal());
    }
    // A full batch: the next one is asked for now (no more than is still
    // needed, were every event in hand to match), so that the server reads it
    // while this one is handled; what was handled before goes out with it.
    if (may_read_ahead && !batch_.empty() && batch_.size() >= asked) {
        if (std::size_t next = want(st, batch_.size()); next > 0) {
            ack_pending_acks(/*with_next_command=*/true);
            append_read(conn, keys, next, std::nullopt);
            conn.flush(deadline_after(ctx_.connect.reply_timeout));
            ahead_ = true;
            ahead_count_ = next;
        }
    }
    for (const KeyedEntry& ke : batch_)
        if (!handle(ke.key, ke.entry, 1, st)) return signal_exit_code(pending_signal());
    // With a read ahead on its way, the XACKs go out with the next request.
    if (!ahead_) ack_pending_acks(/*with_next_command=*/true);
    return -1;
}

int GroupConsumer::run(ConsumeStats& st) {
    if (!consume_.ready_file.empty()) remove_stale_ready_file(consume_.ready_file);
    open();
    if (!consume_.ready_file.empty()) create_ready_file(consume_.ready_file);
    Deadline deadline = deadline_after(consume_.timeout);
    run_deadline_ = deadline;
    Clock::time_point last_match = Clock::now(), last_claim{};
    bool first = true;
    auto finish = [&](int rc) {
        settle_acks();
        leave();
        return rc;
    };
    auto claim_due = [&](Clock::time_point now) { return first || now >= last_claim + o_.claim_idle / 2; };
    while (!done(st)) {
        try {
            if (int sig = pending_signal()) return finish(signal_exit_code(sig));
            auto now = Clock::now();
            // Entries read ahead are handled before a timeout counts (they were
            // needed, and are never left delivered but unhandled).
            bool timed_out = deadline && now >= *deadline;
            bool idle_out = consume_.idle.count() > 0 && now >= last_match + consume_.idle;
            if (timed_out && !ahead_) return finish(consume_.count ? kExitTimeout : kExitOk);
            if (idle_out && !ahead_) return finish(kExitOk);
            std::uint64_t matched_before = st.matched, received_before = st.received;
            // Another command on the connection waits for the reply read ahead.
            if (rescan_.due(now) && !ahead_) rescan();
            if (streams_.empty()) {  // patterns matching no stream yet: wait for one
                auto until = rescan_.next();
                if (deadline) until = std::min(until, *deadline);
                if (consume_.idle.count() > 0) until = std::min(until, last_match + consume_.idle);
                sleep_unless_signal(until);
                continue;
            }
            // Own pending first (once), then others' idle entries now and then, then new ones.
            if (claim_due(now) && !ahead_) {
                std::vector<Pending> claimed = claim(want(st), first);
                for (Pending& p : claimed) {
                    if (done(st)) break;
                    if (!handle(p.key, p.entry, p.deliveries, st)) return finish(signal_exit_code(pending_signal()));
                }
                first = false;
                last_claim = now;
                ack_pending_acks();
                held_.clear();
                if (done(st)) break;
            }
            auto block = std::chrono::milliseconds(1000);
            if (deadline) block = std::min(block, std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - now));
            if (consume_.idle.count() > 0)
                block = std::min(block, std::chrono::duration_cast<std::chrono::milliseconds>(last_match + consume_.idle - now));
            block = std::max(block, std::chrono::milliseconds(1));
            // Several masters: each read without waiting, but the last when none had anything, briefly.
            // One node: reading ahead unless something else is due on the connection.
            auto nodes = streams_by_node();
            bool may_read_ahead = read_ahead_ && !cluster_ && !timed_out && !idle_out && !claim_due(now) && !rescan_.due(now);
            for (std::size_t n = 0; n < nodes.size() && !done(st); ++n) {
                std::optional<std::chrono::milliseconds> wait = block;
                if (nodes.size() > 1)
                    wait = n + 1 == nodes.size() && st.received == received_before
                               ? std::optional(std::min(block, std::chrono::milliseconds(100)))
                               : std::nullopt;
                // A read cut by a signal dropped the connections: nothing to settle then.
                if (int rc = read_node(*nodes[n].first, nodes[n].second, wait, may_read_ahead, st); rc >= 0)
                    return conn_ || cluster_ ? finish(rc) : rc;
            }
            if (st.matched > matched_before) last_match = Clock::now();
        } catch (const IoError& e) {
            // One node: a lost connection is opened again (as without --group); what was read
            // and not acknowledged is still this consumer's, and is taken again first.
            if (auto rc = reconnect(e.what(), deadline)) return *rc;
            first = true;
        }
    }
    for (;;) {  // --count reached: the last acknowledgements, on a new connection if this one was lost
        try {
            return finish(kExitOk);
        } catch (const IoError& e) {
            if (auto rc = reconnect(e.what(), deadline)) return *rc;
        }
    }
}

}  // namespace rbus
