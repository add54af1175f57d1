// rbus-subscribe: print events from the bus, one JSON envelope per line.
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "bus/consumer.h"
#include "subscribe/consumer_group.h"
#include "subscribe/group_options.h"
#include "publish/dlq_redrive.h"
#include "base/duration.h"
#include "base/error.h"
#include "base/stderr_write.h"
#include "subscribe/event_sink.h"
#include "subscribe/history_mirror.h"
#include "bus/history_options.h"
#include "bus/history_replay.h"
#include "bus/sharded_subscriber.h"
#include "app/history_context.h"
#include "app/tool.h"

using namespace rbus;

constexpr const char* kNeedGroup = "--consumer, --claim-idle and --max-deliveries need --group";

int main(int argc, char** argv) {
    std::vector<std::string> types;
    bool all = false, exec_fail_fast = false, metrics = false, mirror = false;
    RetentionFlags retention;
    ReplayFlags replay;
    GroupOptions group;
    std::string claim_idle;
    bool dlq = false;
    std::string format = "json", invalid, exec, exec_timeout;
    FilterOptions filter_flags;
    ConsumeFlags consume_flags;
    return tool_main("rbus-subscribe", "Print events from the RaptorBus as JSON lines.", argc, argv,
                     [&](CLI::App& app) -> ToolRun {
        app.footer("  rbus-subscribe agent.task_started --count 1 | jq -r .payload.agent_id\n"
                   "  rbus-subscribe 'agent.*' --where payload.status=failed\n"
                   "  rbus-subscribe workflow.completed --count 1 --timeout 30s --ready-file /tmp/ready\n"
                   "  rbus-subscribe --channel sys.alert.critical --format '{timestamp} {payload}'\n");
        app.add_option("TYPE", types, "event types or glob patterns (* ? [..]) under the prefix");
        app.add_flag("--all", all, "every event under the prefix (same as *)");
        add_filter_options(app, filter_flags);
        add_consume_options(app, consume_flags);
        app.add_option("--format", format, "json|payload|pretty|raw, or a TEMPLATE such as '{type} {payload.id}'")
            ->type_name("FORMAT");
        app.add_option("--invalid", invalid, "invalid messages: skip (warn; default), emit (print) or fail (exit 5)")
            ->type_name("skip|emit|fail");
        app.add_option("--exec", exec, "run sh -c CMD per matching event, envelope on its stdin (replaces printing)")
            ->type_name("CMD");
        app.add_flag("--exec-fail-fast", exec_fail_fast, "exit 1 at the first handler that fails");
        app.add_option("--exec-timeout", exec_timeout, "end a handler (its process group) after DUR; counted as failed")
            ->type_name("DUR");
        app.add_flag("--metrics", metrics, "at exit, print a JSON object of counters on stderr");
        const char* hist = "History";
        app.add_flag("--mirror", mirror, "record every matching event into rbus:history:{CHANNEL} instead of printing")
            ->group(hist);
        add_retention_options(app, retention, hist);
        add_replay_options(app, replay);
        const char* grp = "Consumer groups and the DLQ";
        GroupFlags group_flags = add_group_options(app, group, claim_idle, grp);
        app.add_flag("--dlq", dlq, "print the DLQs' entries (rbus's stream and RaptorBus's records) and exit")->group(grp);
        set_context_details([&, group_flags](const Context& ctx, nlohmann::ordered_json& j) {
            if (group.group.empty() && group_flags.any_given()) throw UsageError(kNeedGroup);  // as the run refuses it
            HistoryContext h;
            h.mirror = mirror;
            h.retention = true;
            h.retain = retention.retain;
            h.max_len = retention.max_len;
            h.replay = true;
            h.since = replay.since;
            h.until = replay.until;
            h.groups = true;
            h.group = group.group;
            h.consumer = group.consumer;
            h.max_deliveries = group.max_deliveries;
            h.claim_idle = claim_idle;
            h.dlq = dlq;
            j["history"] = history_context_json(ctx, h);
        });
        return [&, group_flags](const Context& ctx) {
            StdoutWriter out;
            bool color = color_enabled(ctx.color_flag, out.is_tty(), process_env);
            SinkOptions so;
            // Everything the user wrote is parsed before connecting (exit 2).
            so.formatter = make_formatter(format, color, out.is_tty());
            so.raw = is_raw_format(format);
            so.filter = EventFilter::compile(filter_flags, ctx);
            note_environment_filters(ctx);
            so.invalid = invalid.empty() ? (so.raw ? InvalidPolicy::emit : InvalidPolicy::skip)
                                         : parse_invalid_policy(invalid);
            if (exec_fail_fast && exec.empty()) throw UsageError("--exec-fail-fast needs --exec");
            if (!exec_timeout.empty() && exec.empty()) throw UsageError("--exec-timeout needs --exec");
            ConsumeOptions co = consume_options(consume_flags);
            if (!exec.empty()) {
                ExecLimits limits{exec_timeout.empty() ? Duration{0} : parse_duration(exec_timeout),
                                  deadline_after(co.timeout)};
                if (!exec_timeout.empty() && limits.timeout.count() <= 0)
                    throw UsageError("--exec-timeout must be longer than 0");
                so.exec.emplace(exec, limits);
            }
            so.exec_fail_fast = exec_fail_fast;
            std::vector<Subscription> subs = subscriptions_for(ctx, types, all);
            if (ctx.sharded) check_sharded_subscriptions(subs);  // exit 2 before anything connects
            if (group.group.empty() && group_flags.any_given()) throw UsageError(kNeedGroup);
            if (mirror) {
                if (!group.group.empty() || dlq) throw UsageError("--mirror records live events: no --group or --dlq");
                if (!exec.empty() || format != "json" || !invalid.empty())
                    throw UsageError("--mirror records instead of printing: no --exec, --format or --invalid");
                if (metrics) throw UsageError("--mirror reports at -v, not with --metrics");
                if (replay.given()) throw UsageError("--mirror records live events: no --since or --until");
                return run_mirror(ctx, subs, history_settings(ctx, retention), std::move(so.filter), co);
            }
            if (retention.given()) throw UsageError("--retain and --max-len need --mirror");
            if (dlq) {
                if (!group.group.empty()) throw UsageError("--dlq cannot be used with --group");
                if (!ctx.channels.empty()) throw UsageError("--dlq selects dead letters by TYPE globs: no --channel");
                const ConsumeFlags& c = consume_flags;
                if (!exec.empty() || format != "json" || !invalid.empty() || metrics || !c.count.empty() ||
                    !c.timeout.empty() || !c.idle.empty() || !c.ready_file.empty() || c.no_reconnect ||
                    !c.ping_interval.empty() || !c.max_bytes.empty())
                    throw UsageError("--dlq prints the dead letters as JSON lines and exits: no --exec, --format, "
                                     "--invalid, --metrics, --count, --timeout, --idle, --ready-file, --no-reconnect, "
                                     "--ping-interval or --max-bytes (rbus-tail --dlq follows them live)");
                RedriveRequest sel;
                sel.filter = std::move(so.filter);
                add_type_globs(ctx, types, sel);
                sel.since = replay.since;
                sel.until = replay.until;
                return run_dlq_list(ctx, sel);
            }
            if (!group.group.empty()) {
                if (!replay.until.empty()) throw UsageError("--group reads on: no --until");
                apply_claim_idle(claim_idle, group);
                if (!replay.since.empty())  // from the entry at --since on, as a replay from it
                    group.start_id = stream_id_before(
                        parse_replay_range(replay.since, "", std::chrono::system_clock::now()).start);
                EventSink sink(std::move(so), out);
                GroupConsumer consumer(ctx, subs, group, sink, co);
                ConsumeStats stats;
                int rc = 0;
                auto report = [&] {
                    if (!metrics) return;
                    // A dead-lettered event was not filtered out: it is counted in dlq_sent.
                    Json j = Json::parse(metrics_json(stats, sink.invalid(), sink.failed(), subs,
                                                      consumer.stats().dlq_sent));
                    j["retried"] = consumer.stats().retried;
                    j["dlq_sent"] = consumer.stats().dlq_sent;
                    write_stderr(j.dump() + "\n");
                };
                try {
                    rc = consumer.run(stats);
                } catch (...) {
                    report();
                    throw;
                }
                report();
                if (rc == kExitTimeout) print_error("rbus-subscribe", timeout_message(co, stats));
                return rc;
            }

            EventSink sink(std::move(so), out);
            ConsumeStats stats;
            auto report = [&] {
                if (!metrics) return;
                write_stderr(metrics_json(stats, sink.invalid(), sink.failed(), subs) + "\n");
            };
            ConsumeHandlers h;
            h.on_event = [&](const ReceivedEvent& ev) { return sink.on_event(ev); };
            h.on_burst = [&] { sink.on_burst(); };
            if (!sink.runs_handlers())  // a handler's work cannot be held back
                h.hold_output = [&](ConsumeHandlers::Held what) { return sink.hold_output(what); };
            int rc = 0;
            try {
                rc = consume_with_history(ctx, "rbus-subscribe", subs, replay, co, h, &stats);
            } catch (...) {
                report();
                throw;
            }
            report();
            if (rc == kExitTimeout) print_error("rbus-subscribe", timeout_message(co, stats));
            return rc;
        };
    });
}
