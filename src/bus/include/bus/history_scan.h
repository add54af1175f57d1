// Finding RaptorBus's msg: keys (and stream patterns) for a replay: SCAN with
// a bounded COUNT, never KEYS. SCAN walks the whole keyspace whatever it
// matches (every seen mark and msg: key of every channel), which on a busy
// node takes longer than printing a long stream; BackgroundScan runs it on a
// connection of its own, in a thread, while the replay reads its streams.
#pragma once

#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bus/subscriber.h"
#include "redis/connection.h"

namespace rbus {

// SCAN MATCH `match` TYPE `type` to its end: the keys found, views into the
// replies appended to `kept` (which must outlive them). Stops early (what was
// found so far) once `stop` is set; throws Interrupted on SIGINT/SIGTERM.
std::vector<std::string_view> scan_keys(Connection& conn, const std::string& match, const char* type,
                                        std::chrono::milliseconds reply_timeout, std::vector<Reply>& kept,
                                        const std::atomic<bool>* stop = nullptr);

// Each subscription's msg: keys on the node of `conn`: one SCAN for all
// (their common beginning), each key then matched here.
std::vector<std::vector<std::string_view>> scan_msg_keys(Connection& conn, const std::vector<Subscription>& subs,
                                                         std::chrono::milliseconds reply_timeout,
                                                         std::vector<Reply>& kept,
                                                         const std::atomic<bool>* stop = nullptr);

// scan_msg_keys on `conn`, in a thread of its own (SIGINT and SIGTERM stay
// with the caller's thread), from construction until take().
class BackgroundScan {
public:
    BackgroundScan(std::unique_ptr<Connection> conn, const std::vector<Subscription>& subs,
                   std::chrono::milliseconds reply_timeout);
    ~BackgroundScan();  // stops the SCAN (at its next reply) and waits for the thread
    BackgroundScan(const BackgroundScan&) = delete;
    BackgroundScan& operator=(const BackgroundScan&) = delete;

    // True once the SCAN has ended (take() will not wait).
    bool done() const { return done_.load(std::memory_order_acquire); }
    // Waits for the end: the keys found (views into the replies moved to
    // `kept`), or the SCAN's error thrown here.
    std::vector<std::vector<std::string_view>> take(std::vector<Reply>& kept);
    // The connection, the caller's again after take().
    Connection& connection() { return *conn_; }

private:
    std::unique_ptr<Connection> conn_;
    std::vector<std::vector<std::string_view>> keys_;
    std::vector<Reply> replies_;
    std::exception_ptr error_;
    std::atomic<bool> done_{false}, stop_{false};
    std::thread thread_;
};

}  // namespace rbus
