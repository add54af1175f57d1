#include "bus/sharded_subscriber.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "redis/connect.h"
#include "redis/crc16.h"
#include "base/error.h"
#include "base/log.h"
#include "base/signals.h"

namespace rbus {

void check_sharded_subscriptions(const std::vector<Subscription>& subs) {
    for (const Subscription& s : subs)
        if (s.pattern)
            throw UsageError(fmt::format(
                "--sharded needs event types: \"{}\" is a pattern (a glob, --all, or no TYPE); sharded pub/sub "
                "has no pattern subscriptions (without --sharded, patterns work through any cluster node)",
                s.name));
}

struct ShardedSubscriber::Node {
    HostPort addr;
    std::unique_ptr<Connection> conn;
    std::vector<std::string> channels;  // confirmed
    std::deque<std::string> awaiting;   // SSUBSCRIBE sent, in order, not yet confirmed
    bool ping_outstanding = false;
};

namespace {

Deadline earliest(Deadline a, Deadline b) {
    if (!a) return b;
    if (!b) return a;
    return std::min(*a, *b);
}

}  // namespace

ShardedSubscriber::ShardedSubscriber(ConnectOptions options, std::string client_name, std::vector<Subscription> subs)
    : options_(std::move(options)), client_name_(std::move(client_name)), subs_(std::move(subs)) {
    check_sharded_subscriptions(subs_);
}

ShardedSubscriber::~ShardedSubscriber() = default;

void ShardedSubscriber::close() {
    nodes_.clear();
    pending_.clear();
    moving_.clear();
    early_.clear();
    attempts_.clear();
}

ShardedSubscriber::Node& ShardedSubscriber::node_for(const HostPort& addr, bool fresh) {
    if (!fresh)
        for (auto& n : nodes_)
            if (same_node(n->addr, addr)) return *n;
    auto n = std::make_unique<Node>();
    n->addr = addr;
    n->conn = connect_bus(node_options(options_, addr), client_name_);
    nodes_.push_back(std::move(n));
    return *nodes_.back();
}

void ShardedSubscriber::subscribe_on(Node& node, const std::string& channel, bool asking) {
    if (asking) node.conn->append({"ASKING"});
    node.conn->append({"SSUBSCRIBE", channel});
    node.conn->flush(deadline_after(options_.reply_timeout));
    node.awaiting.push_back(channel);
    ++attempts_[channel];
}

void ShardedSubscriber::retry_later(Pending p) {
    int tries = attempts_[p.channel];
    auto delay = std::chrono::milliseconds(tries == 0 ? 0 : std::min(50 << std::min(tries, 5), 1000));
    p.due = Clock::now() + delay;
    pending_.push_back(std::move(p));
}

Deadline ShardedSubscriber::next_due() const {
    Deadline due;
    for (const Pending& p : pending_) due = earliest(due, p.due);
    return due;
}

void ShardedSubscriber::resolve_pending() {
    auto now = Clock::now();
    std::vector<Pending> due, later;
    for (Pending& p : pending_) (p.due <= now ? due : later).push_back(std::move(p));
    if (due.empty()) return;
    pending_ = std::move(later);
    try {
        topology_ = discover_topology(options_, client_name_, topology_.masters());
    } catch (const ConnectError& e) {
        logger().info("cannot read the cluster topology: {}; retrying", e.what());
        for (Pending& p : due) retry_later(std::move(p));
        return;
    }
    for (Pending& p : due) {
        std::optional<HostPort> owner = p.hint ? p.hint : topology_.owner(hash_slot(p.channel));
        if (!owner) {
            logger().info("no node serves slot {} of {} yet; retrying", hash_slot(p.channel), p.channel);
            retry_later(std::move(p));
            continue;
        }
        try {
            subscribe_on(node_for(*owner, p.ask), p.channel, p.ask);
        } catch (const ConnectError& e) {
            logger().info("cannot subscribe to {} on {}: {}; retrying", p.channel, node_name(*owner), e.what());
            p.hint.reset();
            p.ask = false;
            retry_later(std::move(p));
        }
    }
    nodes_.erase(std::remove_if(nodes_.begin(), nodes_.end(),
                                [](const auto& n) { return n->channels.empty() && n->awaiting.empty(); }),
                 nodes_.end());
}

bool ShardedSubscriber::handle(Node& n, redisReply* r, const std::function<bool(const BusMessage&)>& on_message) {
    if (r->type == REDIS_REPLY_STATUS) return true;  // +OK to ASKING
    if (r->type == REDIS_REPLY_ERROR) {
        std::string_view err = reply_text(r);
        if (n.awaiting.empty()) throw IoError(fmt::format("{}: {}", node_name(n.addr), err));
        Pending p{n.awaiting.front(), std::nullopt, false, Clock::now()};
        n.awaiting.pop_front();
        if (auto redirect = parse_redirect(err, n.addr.host)) {
            logger().info("SSUBSCRIBE {} on {}: {}", p.channel, node_name(n.addr), err);
            p.hint = redirect->target;
            p.ask = redirect->kind == Redirect::Kind::ask;
            retry_later(std::move(p));
            return true;
        }
        if (err.rfind("TRYAGAIN", 0) == 0 || err.rfind("CLUSTERDOWN", 0) == 0) {
            logger().info("SSUBSCRIBE {} on {}: {}; retrying", p.channel, node_name(n.addr), err);
            retry_later(std::move(p));
            return true;
        }
        bool old = err.find("unknown command") != std::string_view::npos;
        throw Error(fmt::format("SSUBSCRIBE {} refused by {}: {}{}", p.channel, node_name(n.addr), err,
                                old ? " (--sharded needs Redis 7 or later)" : ""));
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) return true;
    std::string_view kind = reply_text(r->element[0]);
    if (kind == "smessage" && r->elements >= 3)
        return on_message(BusMessage{reply_text(r->element[1]), reply_text(r->element[2]), {}});
    if (kind == "pong") {
        n.ping_outstanding = false;
        return true;
    }
    std::string channel(reply_text(r->element[1]));
    if (kind == "ssubscribe") {
        auto it = std::find(n.awaiting.begin(), n.awaiting.end(), channel);
        if (it != n.awaiting.end()) n.awaiting.erase(it);
        n.channels.push_back(channel);
        attempts_.erase(channel);
        if (auto m = std::find(moving_.begin(), moving_.end(), channel); m != moving_.end()) {
            moving_.erase(m);
            logger().warn("resubscribed to {} on {}", channel, node_name(n.addr));
        }
    } else if (kind == "sunsubscribe") {
        auto it = std::find(n.channels.begin(), n.channels.end(), channel);
        if (it == n.channels.end()) return true;
        n.channels.erase(it);
        if (std::find(moving_.begin(), moving_.end(), channel) == moving_.end()) moving_.push_back(channel);
        logger().warn("slot {} of {} moved away from {}; resubscribing on its new owner",
                      hash_slot(channel), channel, node_name(n.addr));
        retry_later(Pending{channel, std::nullopt, false, Clock::now()});
    }
    return true;
}

bool ShardedSubscriber::pump(Deadline until, const std::function<bool(const BusMessage&)>& on_message) {
    bool got = false;
    // Replies already buffered first: the socket may have nothing more to say.
    for (auto& n : nodes_)
        while (Reply r = n->conn->buffered_reply()) {
            got = true;
            if (!handle(*n, r.get(), on_message)) return true;
        }
    if (got) return true;
    std::vector<pollfd> fds;
    std::vector<Node*> who;
    for (auto& n : nodes_) {
        int fd = n->conn->transport().fd();
        if (fd < 0) throw Error(fmt::format("--sharded cannot wait on the connection to {}", node_name(n->addr)));
        fds.push_back(pollfd{fd, POLLIN, 0});
        who.push_back(n.get());
    }
    int rc = ::poll(fds.empty() ? nullptr : fds.data(), fds.size(), poll_timeout_ms(until));
    if (rc < 0) {
        if (errno == EINTR) return false;
        throw IoError(fmt::format("poll failed: {}", std::strerror(errno)));
    }
    for (std::size_t i = 0; i < fds.size() && rc > 0; ++i) {
        if (!fds[i].revents) continue;
        Node& n = *who[i];
        Reply r = n.conn->read_reply(Clock::now());
        while (r) {
            got = true;
            if (!handle(n, r.get(), on_message)) return true;
            r = n.conn->buffered_reply();
        }
    }
    return got;
}

bool ShardedSubscriber::all_confirmed() const {
    if (!pending_.empty()) return false;
    for (const auto& n : nodes_)
        if (!n->awaiting.empty()) return false;
    return true;
}

void ShardedSubscriber::start() {
    close();
    topology_ = discover_topology(options_, client_name_);
    std::vector<std::string> names;
    for (const Subscription& s : subs_) names.push_back(s.name);
    std::vector<NodeChannels> groups;
    try {
        groups = group_by_owner(topology_, names);
    } catch (const ConnectError&) {
        throw;
    } catch (const Error& e) {
        throw ConnectError(e.what());
    }
    for (const NodeChannels& g : groups) {
        Node& n = node_for(g.node, false);
        for (const std::string& ch : g.channels) subscribe_on(n, ch, false);
    }
    Deadline deadline = deadline_after(options_.connect_timeout);
    auto keep = [this](const BusMessage& m) {
        early_.push_back(Early{std::string(m.channel), std::string(m.data)});
        return true;
    };
    while (!all_confirmed()) {
        resolve_pending();
        if (all_confirmed()) break;
        pump(earliest(deadline, next_due()), keep);
        throw_if_interrupted();
        // Checked whatever came: traffic on confirmed channels must not keep a refused one waiting forever.
        if (deadline && Clock::now() >= *deadline)
            throw TimeoutError(fmt::format("the cluster did not confirm the sharded subscriptions within {}ms",
                                           options_.connect_timeout.count()));
    }
    if (!logger().enabled(LogLevel::debug)) return;
    std::vector<std::string> where;
    for (const auto& n : nodes_) where.push_back(fmt::format("{} ({})", node_name(n->addr), n->channels.size()));
    logger().debug("sharded subscriptions confirmed on {}{}", fmt::join(where, ", "),
                   topology_.cluster ? "" : " (a standalone server)");
}

ShardedSubscriber::Wake ShardedSubscriber::poll(Deadline deadline,
                                                const std::function<bool(const BusMessage&)>& on_message) {
    if (!early_.empty()) {
        while (!early_.empty()) {
            Early e = std::move(early_.front());
            early_.pop_front();
            if (!on_message(BusMessage{e.channel, e.data, {}})) break;
        }
        return Wake::messages;
    }
    resolve_pending();
    if (pump(earliest(deadline, next_due()), on_message)) return Wake::messages;
    if (deadline && Clock::now() >= *deadline) return Wake::deadline;
    return Wake::interrupted;  // a signal, or a resubscription is due: the caller polls again
}

void ShardedSubscriber::ping() {
    if (nodes_.empty() && pending_.empty()) throw IoError("not connected");
    for (auto& n : nodes_) {
        if (n->ping_outstanding) throw IoError(fmt::format("no reply to PING from {}", node_name(n->addr)));
        n->conn->append({"PING"});
        n->conn->flush(deadline_after(options_.reply_timeout));
        n->ping_outstanding = true;
    }
}

}  // namespace rbus
