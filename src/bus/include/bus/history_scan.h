// Finding RaptorBus's msg: keys (and stream patterns) for a replay: SCAN with
// a bounded COUNT, never KEYS. SCAN walks the whole keyspace whatever it
// matches (every seen mark and msg: key of every channel), which takes as
// long as printing a long stream: StepScan walks it on a connection of its
// own in steps, for a caller that prints its streams ahead meanwhile.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/deadline.h"
#include "base/error.h"
#include "bus/subscriber.h"
#include "redis/connection.h"

namespace rbus {

// Throws RunTimedOut once `run_until` (a run's --timeout) has passed.
void throw_if_run_over(Deadline run_until, RunTimedOut what = {});
// conn.command(args, reply_timeout), waiting no later than `run_until`:
// RunTimedOut when that came first.
Reply command_until(Connection& conn, const std::vector<std::string_view>& args,
                    std::chrono::milliseconds reply_timeout, Deadline run_until);

// SCAN MATCH `match` (TYPE `type` unless null) to its end: the keys found,
// views into the replies appended to `kept` (which must outlive them). Throws Interrupted on
// SIGINT/SIGTERM, TimeoutError past the reply timeout, RunTimedOut once
// `run_until` (the run's --timeout) has passed.
std::vector<std::string_view> scan_keys(Connection& conn, const std::string& match, const char* type,
                                        std::chrono::milliseconds reply_timeout, std::vector<Reply>& kept,
                                        Deadline run_until = std::nullopt);

// Each subscription's msg: keys on the node of `conn`: one SCAN for all
// (their common beginning), each key then matched here.
std::vector<std::vector<std::string_view>> scan_msg_keys(Connection& conn, const std::vector<Subscription>& subs,
                                                         std::chrono::milliseconds reply_timeout,
                                                         std::vector<Reply>& kept, Deadline run_until = std::nullopt);

// scan_msg_keys in steps: each SCAN is sent as soon as the reply before it
// is taken; poll() takes a reply only when one has arrived (it never waits),
// finish() waits for the rest. `conn` is the scan's alone until finish().
class StepScan {
public:
    StepScan(Connection& conn, const std::vector<Subscription>& subs, std::chrono::milliseconds reply_timeout,
             Deadline run_until = std::nullopt);
    // Takes the reply that has arrived, if any, and sends the next SCAN; true
    // once the walk is over. Throws as scan_keys does.
    bool poll();
    bool done() const { return done_; }
    // Whether a key was found so far.
    bool found_any() const { return !found_.empty(); }
    // Waits for the end: each subscription's msg: keys, views into the
    // replies moved to `kept`.
    std::vector<std::vector<std::string_view>> finish(std::vector<Reply>& kept);

private:
    void send();
    void take(Reply r);
    // No reply yet: throws Interrupted on a signal, TimeoutError past the reply
    // timeout, RunTimedOut past run_until_.
    void still_waiting() const;

    Connection& conn_;
    std::chrono::milliseconds timeout_;
    Deadline run_until_;
    std::vector<std::string> globs_;
    std::string match_, cursor_ = "0";
    std::vector<std::string_view> found_;
    std::vector<Reply> replies_;
    Clock::time_point sent_at_;
    bool done_ = false;
};

}  // namespace rbus
