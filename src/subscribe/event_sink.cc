#include "subscribe/event_sink.h"

#include <fmt/format.h>

#include "base/error.h"
#include "base/log.h"
#include "base/safe_text.h"

namespace rbus {

InvalidPolicy parse_invalid_policy(std::string_view text) {
    if (text == "skip") return InvalidPolicy::skip;
    if (text == "emit") return InvalidPolicy::emit;
    if (text == "fail") return InvalidPolicy::fail;
    throw UsageError(fmt::format("invalid --invalid \"{}\": use skip, emit or fail", text));
}

void EventSink::handle_invalid(const ReceivedEvent& ev) {
    ++invalid_;
    const BusMessage& m = ev.message;
    switch (o_.invalid) {
        case InvalidPolicy::skip:
            logger().warn("skipped invalid message on {}: {}", m.channel, ev.read.error);
            return;
        case InvalidPolicy::emit:
            if (o_.raw) out_.line(m.data);
            else out_.line(invalid_record(m.channel, m.data, ev.read.error));
            return;
        case InvalidPolicy::fail:
            out_.flush();
            throw InvalidMessageError(fmt::format("invalid message on {}: {}", m.channel, ev.read.error));
    }
}

void EventSink::run_handler(const ReceivedEvent& ev) {
    const EventView& e = ev.read.event;
    // A variable cannot hold a NUL (it would end the value early) and a shell
    // handler splits on newlines: the fields are escaped as template fields
    // are (\u0000, \n); the envelope on the handler's stdin is exact.
    auto text = [](std::string_view s) {
        std::string out;
        append_template_escaped(out, s);
        return out;
    };
    auto optional = [&](const std::optional<std::string_view>& s) { return s ? text(*s) : std::string(); };
    std::vector<std::pair<std::string, std::string>> vars = {
        {"RBUS_EVENT_ID", text(e.id)},
        {"RBUS_EVENT_TYPE", text(e.type)},
        {"RBUS_CHANNEL", text(ev.message.channel)},
        {"RBUS_PRIORITY", text(e.priority_text)},
        {"RBUS_REQUEST_ID", optional(e.request_id)},
        {"RBUS_WORKSPACE_ID", optional(e.workspace_id)},
    };
    HandlerResult r = o_.exec->run(e.text, vars);
    last_handler_ = r;
    if (r.ok()) return;
    ++failed_;
    std::string what = fmt::format("handler failed ({}) for {} {}", r.describe(), e.type, e.id);
    if (o_.exec_fail_fast) throw Error(what + " (--exec-fail-fast)");
    logger().warn(what);
}

bool EventSink::on_event(const ReceivedEvent& ev) {
    last_handler_.reset();
    if (!ev.read.ok()) {
        handle_invalid(ev);
        return false;
    }
    const EventView& e = ev.read.event;
    if (!o_.filter.matches(e)) return false;
    if (o_.exec) {
        run_handler(ev);
        return true;
    }
    line_.clear();
    o_.formatter->format({ev.message, e, ev.received_wall}, line_);
    out_.line(line_);
    return true;
}

std::size_t EventSink::hold_output(ConsumeHandlers::Held what) {
    switch (what) {
        case ConsumeHandlers::Held::hold:
            out_.hold(ConsumeHandlers::kHeldAtMost);
            break;
        case ConsumeHandlers::Held::release:
            out_.release();
            break;
        case ConsumeHandlers::Held::discard:
            out_.discard();
            break;
        case ConsumeHandlers::Held::size:
            break;
    }
    return out_.held();
}

std::string metrics_json(const ConsumeStats& stats, std::uint64_t invalid, std::uint64_t failed,
                         const std::vector<Subscription>& subs, std::uint64_t dead_lettered) {
    Json j = Json::object();
    j["published"] = 0;
    j["published_by_priority"] = Json::object();
    j["received"] = stats.received;
    j["failed"] = failed;
    j["invalid"] = invalid;
    j["reconnects"] = stats.reconnects;
    // Valid events that a filter (-w/-c from the environment too) dropped.
    std::uint64_t kept = stats.matched + invalid + dead_lettered;
    j["filtered"] = stats.received > kept ? stats.received - kept : 0;
    // A count, as RaptorBus's get_metrics(); the names beside it.
    j["active_subscriptions"] = subs.size();
    Json names = Json::array();
    for (const Subscription& s : subs) names.push_back(s.name);
    j["subscriptions"] = std::move(names);
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace rbus
