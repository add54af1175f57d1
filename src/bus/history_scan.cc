#include "bus/history_scan.h"

#include <fnmatch.h>

#include <fmt/format.h>

#include "base/error.h"
#include "base/signals.h"
#include "bus/history_keys.h"

namespace rbus {
namespace {

constexpr std::size_t kScanCount = 1000;  // SCAN COUNT: keys the server walks a call (about half a millisecond)

std::vector<std::string_view> scan_reply_keys(const Reply& r, std::string& cursor) {
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[1]->type != REDIS_REPLY_ARRAY)
        throw ProtocolError("unexpected reply to SCAN");
    cursor.assign(reply_text(r->element[0]));
    const redisReply* keys = r->element[1];
    std::vector<std::string_view> out;
    for (std::size_t i = 0; i < keys->elements; ++i) out.push_back(reply_text(keys->element[i]));
    return out;
}

// The SCAN pattern for the subscriptions' msg: keys (their common beginning
// when several: SCAN walks the whole keyspace whatever it matches, so one
// walk serves all) and each one's own glob.
std::string msg_globs(const std::vector<Subscription>& subs, std::vector<std::string>& globs) {
    for (const Subscription& sub : subs)
        globs.push_back(raptorbus_msg_pattern(sub.pattern ? sub.name : glob_escape(sub.name)));
    if (globs.size() == 1) return globs[0];
    std::string common = glob_literal_prefix(globs[0]);
    for (const std::string& g : globs) {
        std::string p = glob_literal_prefix(g);
        std::size_t n = 0;
        while (n < common.size() && n < p.size() && common[n] == p[n]) ++n;
        common.resize(n);
    }
    return glob_escape(common) + "*";
}

// The keys SCAN found, given to the subscriptions whose glob they match.
std::vector<std::vector<std::string_view>> split_by_glob(std::vector<std::string_view> found,
                                                         const std::vector<std::string>& globs) {
    if (globs.size() == 1) return {std::move(found)};
    std::vector<std::vector<std::string_view>> out(globs.size());
    for (std::string_view key : found) {
        std::string k(key);  // fnmatch wants it NUL-terminated
        for (std::size_t i = 0; i < globs.size(); ++i)
            if (fnmatch(globs[i].c_str(), k.c_str(), 0) == 0) out[i].push_back(key);
    }
    return out;
}

}  // namespace

void throw_if_run_over(Deadline run_until, RunTimedOut what) {
    if (run_until && Clock::now() >= *run_until) throw what;
}

Reply command_until(Connection& conn, const std::vector<std::string_view>& args,
                    std::chrono::milliseconds reply_timeout, Deadline run_until) {
    auto timeout = reply_timeout;
    if (run_until) {  // a server that stalls does not keep the run past its --timeout
        auto left = std::chrono::ceil<std::chrono::milliseconds>(*run_until - Clock::now());
        timeout = std::max(std::chrono::milliseconds(1), timeout.count() > 0 ? std::min(timeout, left) : left);
    }
    try {
        return conn.command(args, timeout);
    } catch (const TimeoutError&) {
        throw_if_run_over(run_until);
        throw;
    }
}

std::vector<std::string_view> scan_keys(Connection& conn, const std::string& match, const char* type,
                                        std::chrono::milliseconds reply_timeout, std::vector<Reply>& kept,
                                        Deadline run_until) {
    std::vector<std::string_view> found;
    std::string cursor = "0";
    const std::string count = std::to_string(kScanCount);
    do {
        std::vector<std::string_view> args{"SCAN", cursor, "MATCH", match, "COUNT", count};
        if (type) args.insert(args.end(), {"TYPE", type});
        Reply r = command_until(conn, args, reply_timeout, run_until);
        std::vector<std::string_view> keys = scan_reply_keys(r, cursor);
        found.insert(found.end(), keys.begin(), keys.end());
        kept.push_back(std::move(r));
        throw_if_interrupted();
        throw_if_run_over(run_until);
    } while (cursor != "0");
    return found;
}

std::vector<std::vector<std::string_view>> scan_msg_keys(Connection& conn, const std::vector<Subscription>& subs,
                                                         std::chrono::milliseconds reply_timeout,
                                                         std::vector<Reply>& kept, Deadline run_until) {
    std::vector<std::string> globs;
    std::string match = msg_globs(subs, globs);
    return split_by_glob(scan_keys(conn, match, "string", reply_timeout, kept, run_until), globs);
}

StepScan::StepScan(Connection& conn, const std::vector<Subscription>& subs, std::chrono::milliseconds reply_timeout,
                   Deadline run_until)
    : conn_(conn), timeout_(reply_timeout), run_until_(run_until), match_(msg_globs(subs, globs_)) {
    send();
}

void StepScan::send() {
    static const std::string count = std::to_string(kScanCount);
    conn_.append({"SCAN", cursor_, "MATCH", match_, "COUNT", count, "TYPE", "string"});
    conn_.flush(deadline_after(timeout_));
    sent_at_ = Clock::now();
}

void StepScan::take(Reply r) {
    if (r->type == REDIS_REPLY_ERROR) throw ReplyError(std::string(reply_text(r.get())));
    std::vector<std::string_view> keys = scan_reply_keys(r, cursor_);
    found_.insert(found_.end(), keys.begin(), keys.end());
    replies_.push_back(std::move(r));
    if (cursor_ == "0")
        done_ = true;
    else
        send();
}

void StepScan::still_waiting() const {
    throw_if_interrupted();
    throw_if_run_over(run_until_);
    if (timeout_.count() > 0 && Clock::now() - sent_at_ >= timeout_)
        throw TimeoutError(fmt::format("no reply from {} to SCAN within {}ms", conn_.peer(), timeout_.count()));
}

bool StepScan::poll() {
    if (done_) return true;
    if (Reply r = conn_.read_reply(Clock::now())) {
        take(std::move(r));
    } else {
        still_waiting();
    }
    return done_;
}

std::vector<std::vector<std::string_view>> StepScan::finish(std::vector<Reply>& kept) {
    while (!done_) {
        if (Reply r = conn_.read_reply(earlier(deadline_after(timeout_), run_until_))) {
            take(std::move(r));
            throw_if_interrupted();  // a signal does not wait for the walk's end, nor --timeout
            throw_if_run_over(run_until_);
            continue;
        }
        still_waiting();
    }
    for (Reply& r : replies_) kept.push_back(std::move(r));
    replies_.clear();
    return split_by_glob(std::move(found_), globs_);
}

}  // namespace rbus
