#include "publish/publish_run.h"

#include <unistd.h>

#include <memory>
#include <set>

#include <fmt/format.h>

#include "publish/batch_input.h"
#include "bus/batch_publisher.h"
#include "bus/history_cluster.h"
#include "redis/connect.h"
#include "base/duration.h"
#include "base/error.h"
#include "base/log.h"
#include "base/stderr_write.h"
#include "app/output.h"
#include "json/json_paint.h"
#include "event/payload.h"
#include "event/placeholders.h"
#include "bus/bus_publisher.h"
#include "base/safe_text.h"
#include "base/signals.h"
#include "bus/subscriber.h"
#include "base/text.h"
#include "app/tool.h"
#include "base/uuid.h"

namespace rbus {

EnvelopeFields base_fields(const Context& ctx, const PublishRequest& req) {
    EnvelopeFields f;
    f.type = ctx.type_from(req.type);
    auto prio = parse_priority(req.priority);
    if (!prio) throw UsageError(fmt::format("invalid priority \"{}\": use low, normal, high or critical", req.priority));
    f.priority = *prio;
    if (!req.id.empty()) f.id = req.id;
    f.request_id = ctx.correlation_id;
    f.workspace_id = ctx.workspace_id;
    f.source_agent_id = ctx.source_agent_id;
    return f;
}

int run_publish(const Context& ctx, const PublishRequest& req) {
    bool batch = req.stdin_batch || req.envelopes;
    if (req.stdin_batch && req.envelopes) throw UsageError("--stdin and --envelopes cannot be used together");
    if (req.envelopes && !req.type.empty())
        throw UsageError("--envelopes takes no TYPE: each envelope names its own type");
    if (!req.envelopes && req.type.empty()) throw UsageError("TYPE is required (e.g. agent.task_started)");
    if (req.stdin_batch && !req.payload_args.empty())
        throw UsageError("--stdin reads each payload from a line of standard input: give no payload arguments");
    if (batch && (req.count || !req.interval.empty()))
        throw UsageError("--count and --interval repeat one event; they cannot be used with --stdin or --envelopes");
    if (batch && !req.wait_for.empty()) throw UsageError("--wait-for cannot be used with --stdin or --envelopes");
    if (batch && !req.id.empty()) throw UsageError("--id cannot be used with a batch: each event needs its own id");
    if (!batch && (!req.dead_letter.empty())) throw UsageError("--dead-letter is for batches (--stdin, --envelopes)");
    if (req.count && *req.count == 0) throw UsageError("--count must be at least 1");
    if (req.count && *req.count > 1 && !req.id.empty())
        throw UsageError("--id cannot be used with --count above 1: each repeat is a new event with its own id");
    if (!req.interval.empty() && !req.count) throw UsageError("--interval needs --count");
    if (!req.timeout.empty() && req.wait_for.empty()) throw UsageError("--timeout needs --wait-for");
    if (req.retries < 0) throw UsageError("--retries must be 0 or more");
    if (req.max_bytes == 0) throw UsageError("--max-bytes must be at least 1");
    bool record_metrics = req.record_metrics || env_flag(process_env, "RAPTORBUS_METRICS").value_or(false);
    if (ctx.channels.size() > 1)
        throw UsageError("--channel: rbus-publish sends each event on one channel; give it once");
    if (ctx.sharded && !req.wait_for.empty() && !req.dry_run)
        throw UsageError("--wait-for cannot be used with --sharded: the reply is awaited with a plain SUBSCRIBE");
    PublishRequest r = req;
    if (req.history_flag || ctx.history) {
        r.history = history_settings(ctx, req.retention);
    } else if (req.retention.given()) {
        throw UsageError("--retain and --max-len need --history");
    }
    if (batch) return run_batch(ctx, r, record_metrics);
    int rc = !r.wait_for.empty() && !r.dry_run ? run_wait_for(ctx, r, record_metrics)
                                              : run_single(ctx, r, record_metrics);
    // Stdin stays opt-in ('-'), but data piped in and never read gets a word
    // (checked after publishing: a producer has had time to write).
    if (!args_read_stdin(r.payload_args) && stdin_has_waiting_data())
        logger().warn("stdin ignored: pass - to publish it as the payload (or --stdin for one payload per line)");
    return rc;
}

namespace {

// Builds the events of a request, one per repeat, validated before anything is sent.
class EventMaker {
public:
    EventMaker(const Context& ctx, const PublishRequest& req)
        : base_(base_fields(ctx, req)), template_(payload_from_args(req.payload_args)), max_bytes_(req.max_bytes) {}

    Envelope make(std::uint64_t seq) const {
        EnvelopeFields f = base_;
        f.payload = template_.render(seq);
        Envelope env = Envelope::create(std::move(f));
        if (std::string why = oversize_reason(env.dump().size(), max_bytes_); !why.empty()) throw UsageError(why);
        return env;
    }

private:
    EnvelopeFields base_;
    PayloadTemplate template_;
    std::size_t max_bytes_;
};

struct RepeatResult {
    int signal = 0;
    std::optional<std::string> fewer;  // the first event that reached fewer than --min-receivers
    std::set<std::string> ids;         // kept only for --wait-for (memory stays flat for --count N)
    std::uint64_t published = 0, unheard = 0;  // unheard: reached no subscriber
    std::string channel;                      // the last event's channel
    bool cluster = false;                     // a plain cluster: PUBLISH counts one node's subscribers
};

// Publishes (or, with --dry-run, only builds) every repeat; on_event prints.
RepeatResult publish_repeats(const Context& ctx, const PublishRequest& req, bool record_metrics,
                             const std::function<void(const Envelope&)>& on_event) {
    EventMaker maker(ctx, req);
    std::uint64_t n = req.count.value_or(1);
    Duration interval = req.interval.empty() ? Duration(0) : parse_duration(req.interval);
    Envelope first = maker.make(1);  // a bad payload is a usage error before connecting
    PublishOptions po;
    po.record_metrics = record_metrics;
    po.retries = req.retries;
    if (req.history) po.history = &*req.history;
    std::unique_ptr<BusPublisher> publisher;  // none: --dry-run
    if (!req.dry_run) publisher = connect_publisher(ctx, "rbus-publish", po);
    RepeatResult result;
    for (std::uint64_t seq = 1; seq <= n; ++seq) {
        if (seq > 1 && interval.count() > 0) sleep_unless_signal(interval);
        if ((result.signal = pending_signal())) break;
        Envelope env = seq == 1 ? std::move(first) : maker.make(seq);
        if (publisher) {
            long long receivers = publisher->publish(env);
            if (receivers < req.min_receivers && !result.fewer)
                result.fewer = fmt::format("event {} reached {} subscriber(s), fewer than --min-receivers {}",
                                           env.id(), receivers, req.min_receivers);
            ++result.published;
            if (receivers == 0) ++result.unheard;
        }
        if (!req.wait_for.empty()) result.ids.insert(std::string(env.id()));
        if (seq == n) result.channel = ctx.publish_channel(env.type());
        on_event(env);
    }
    // Asked only when it matters: is this a cluster node, whose count is its own subscribers'?
    if (publisher && (result.unheard > 0 || result.fewer)) result.cluster = publisher->counts_one_node();
    return result;
}

// redis-cli shows "(integer) 0"; a person at a terminal gets one line when
// nobody heard (a typo in the type looks like success otherwise).
void note_unheard(const Context& ctx, const RepeatResult& r) {
    if (r.unheard == 0 || ctx.quiet || ::isatty(STDERR_FILENO) != 1) return;
    std::string where = r.cluster ? " on this node (PUBLISH on a cluster counts the receiving node's subscribers)" : "";
    std::string line = r.published == 1
                           ? fmt::format("{}: note: no subscriber received it on {}{}\n", tool_name(),
                                         escape_controls(r.channel), where)
                           : fmt::format("{}: note: {} of {} events reached no subscriber{}\n", tool_name(),
                                         r.unheard, r.published, where);
    write_stderr(line);
}

}  // namespace

int run_single(const Context& ctx, const PublishRequest& req, bool record_metrics) {
    StdoutWriter out;
    out.keep_going_when_closed();  // | head -1 must not stop the publishing
    bool color = color_enabled(ctx.color_flag, out.is_tty(), process_env);
    bool repeating = !req.interval.empty();
    RepeatResult r = publish_repeats(ctx, req, record_metrics, [&](const Envelope& env) {
        if (!ctx.quiet) out.line(color ? colorize_json(env.json()) : env.dump());
        if (repeating) out.flush();
    });
    out.flush();
    if (r.signal) return signal_exit_code(r.signal);
    note_unheard(ctx, r);
    if (r.fewer) {
        print_error(tool_name(), *r.fewer + (r.cluster ? " on this node (a plain cluster's PUBLISH counts only the "
                                                         "receiving node's subscribers; use --sharded)"
                                                       : ""));
        return kExitFewReceivers;
    }
    return kExitOk;
}

int run_wait_for(const Context& ctx, const PublishRequest& req, bool record_metrics) {
    std::vector<std::string> types;
    for (const std::string& arg : req.wait_for) {
        for (std::string_view t : split(arg, ',')) {
            if (t.empty()) throw UsageError(fmt::format("--wait-for \"{}\": empty event type", arg));
            types.emplace_back(t);
        }
    }
    Duration timeout = parse_duration(req.timeout.empty() ? "30s" : req.timeout);
    if (timeout.count() <= 0) throw UsageError("--timeout must be longer than 0");
    Context c = ctx;
    if (!c.correlation_id) c.correlation_id = uuid_v4();
    Context replies = c;
    replies.channels.clear();  // --channel is where the request goes; replies come on {prefix}.{type}
    const std::string corr = *c.correlation_id;
    EventMaker(c, req).make(1);  // usage errors before connecting

    // Subscribed before publishing, so that a fast reply cannot be missed.
    Subscriber sub(c.connect, "rbus-publish", subscriptions_for(replies, types, false));
    sub.start();
    RepeatResult r = publish_repeats(c, req, record_metrics, [](const Envelope&) {});
    if (r.signal) return signal_exit_code(r.signal);

    std::optional<Envelope> reply;
    Deadline deadline = deadline_after(timeout);
    while (!reply) {
        if (int sig = pending_signal()) return signal_exit_code(sig);
        auto wake = sub.poll(deadline, [&](const BusMessage& m) {
            ReadResult rr = read_envelope(m.data);
            if (!rr.ok() || !rr.envelope->request_id() || *rr.envelope->request_id() != corr) return true;
            if (r.ids.count(std::string(rr.envelope->id()))) return true;  // our own event
            reply = std::move(rr.envelope);
            return false;
        });
        if (!reply && wake == Subscriber::Wake::deadline) {
            print_error(tool_name(), fmt::format("no {} event with request_id {} within {}", fmt::join(types, " or "),
                                                 corr, format_duration(timeout)));
            return kExitTimeout;
        }
    }
    StdoutWriter out;
    bool color = color_enabled(ctx.color_flag, out.is_tty(), process_env);
    // The reply came from the bus: on a terminal its hidden controls are escaped.
    if (!ctx.quiet)
        out.line(color ? colorize_json(reply->json()) : out.is_tty() ? json_terminal_safe(reply->dump()) : reply->dump());
    out.flush();
    if (r.fewer) {
        print_error(tool_name(), *r.fewer);
        return kExitFewReceivers;
    }
    return kExitOk;
}

}  // namespace rbus
