#include "bus/history_scan.h"

#include <fnmatch.h>
#include <pthread.h>

#include <csignal>

#include "base/error.h"
#include "base/signals.h"
#include "bus/history_keys.h"

namespace rbus {
namespace {

constexpr std::size_t kScanCount = 1000;  // SCAN COUNT: keys the server walks a call

}  // namespace

std::vector<std::string_view> scan_keys(Connection& conn, const std::string& match, const char* type,
                                        std::chrono::milliseconds reply_timeout, std::vector<Reply>& kept,
                                        const std::atomic<bool>* stop) {
    std::vector<std::string_view> found;
    std::string cursor = "0";
    const std::string count = std::to_string(kScanCount);
    do {
        Reply r = conn.command({"SCAN", cursor, "MATCH", match, "COUNT", count, "TYPE", type}, reply_timeout);
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[1]->type != REDIS_REPLY_ARRAY)
            throw ProtocolError("unexpected reply to SCAN");
        cursor.assign(reply_text(r->element[0]));
        const redisReply* keys = r->element[1];
        for (std::size_t i = 0; i < keys->elements; ++i) found.push_back(reply_text(keys->element[i]));
        kept.push_back(std::move(r));
        throw_if_interrupted();
        if (stop && stop->load(std::memory_order_relaxed)) break;
    } while (cursor != "0");
    return found;
}

std::vector<std::vector<std::string_view>> scan_msg_keys(Connection& conn, const std::vector<Subscription>& subs,
                                                         std::chrono::milliseconds reply_timeout,
                                                         std::vector<Reply>& kept, const std::atomic<bool>* stop) {
    std::vector<std::string> globs;
    for (const Subscription& sub : subs)
        globs.push_back(raptorbus_msg_pattern(sub.pattern ? sub.name : glob_escape(sub.name)));
    if (globs.size() == 1) return {scan_keys(conn, globs[0], "string", reply_timeout, kept, stop)};
    // SCAN walks the whole keyspace whatever it matches: one walk for every
    // subscription (their common beginning), each key then matched here.
    std::string common = glob_literal_prefix(globs[0]);
    for (const std::string& g : globs) {
        std::string p = glob_literal_prefix(g);
        std::size_t n = 0;
        while (n < common.size() && n < p.size() && common[n] == p[n]) ++n;
        common.resize(n);
    }
    std::vector<std::vector<std::string_view>> out(globs.size());
    for (std::string_view key : scan_keys(conn, glob_escape(common) + "*", "string", reply_timeout, kept, stop)) {
        std::string k(key);  // fnmatch wants it NUL-terminated
        for (std::size_t i = 0; i < globs.size(); ++i)
            if (fnmatch(globs[i].c_str(), k.c_str(), 0) == 0) out[i].push_back(key);
    }
    return out;
}

BackgroundScan::BackgroundScan(std::unique_ptr<Connection> conn, const std::vector<Subscription>& subs,
                               std::chrono::milliseconds reply_timeout)
    : conn_(std::move(conn)) {
    // The thread starts with SIGINT and SIGTERM blocked: they reach the
    // caller's thread, whose waits they cut short; this one sees the flag.
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    thread_ = std::thread([this, subs, reply_timeout] {
        try {
            keys_ = scan_msg_keys(*conn_, subs, reply_timeout, replies_, &stop_);
        } catch (...) {
            error_ = std::current_exception();
        }
        done_.store(true, std::memory_order_release);
    });
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

BackgroundScan::~BackgroundScan() {
    stop_.store(true, std::memory_order_relaxed);
    if (thread_.joinable()) thread_.join();
}

std::vector<std::vector<std::string_view>> BackgroundScan::take(std::vector<Reply>& kept) {
    if (thread_.joinable()) thread_.join();
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    for (Reply& r : replies_) kept.push_back(std::move(r));
    replies_.clear();
    return std::move(keys_);
}

}  // namespace rbus
