// rbus-tail: follow the bus as a person does, one readable line per event.
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "bus/consumer.h"
#include "base/error.h"
#include "base/stderr_write.h"
#include "event/filter.h"
#include "bus/history_replay.h"
#include "app/output.h"
#include "bus/sharded_subscriber.h"
#include "tail/tail_dlq.h"
#include "tail/tail_session.h"
#include "app/history_context.h"
#include "app/tool.h"

using namespace rbus;

int main(int argc, char** argv) {
    std::vector<std::string> types;
    ConsumeFlags consume_flags;
    FilterOptions filter_flags;
    std::optional<std::string> trace;
    TailOptions tail;
    ReplayFlags replay;
    bool dlq = false;
    return tool_main("rbus-tail", "Follow events on the RaptorBus, one readable line each.", argc, argv,
                     [&](CLI::App& app) -> ToolRun {
        app.footer("  rbus-tail                      everything under the prefix\n"
                   "  rbus-tail 'agent.*' --min-priority high\n"
                   "  rbus-tail --trace corr-456     one flow, with the time since its first event\n"
                   "  rbus-tail --record today.ndjson\n"
                   "  rbus-tail --dlq --since 1h         dead letters of the last hour, then live\n");
        app.add_option("TYPE", types, "event types or glob patterns (default: everything)");
        add_consume_options(app, consume_flags);
        add_filter_options(app, filter_flags);
        app.add_option("--trace", trace, "follow one flow: only correlation id ID, with the time since its first event")
            ->type_name("ID");
        app.add_flag("--json", tail.json, "print what rbus-subscribe prints");
        add_replay_options(app, replay);
        app.add_flag("--dlq", dlq, "follow the dead letters announced on sys.dlq.* (with --since, the stored ones first)");
        app.add_option("--record", tail.record, "append every shown envelope to FILE as NDJSON (replay: rbus-publish --envelopes)")
            ->type_name("FILE");
        set_context_details([&](const Context& ctx, nlohmann::ordered_json& j) {
            HistoryContext h;
            h.replay = true;
            h.since = replay.since;
            h.until = replay.until;
            h.dlq = dlq;
            j["history"] = history_context_json(ctx, h);
        });
        return [&](const Context& given) {
            Context ctx = context_for_trace(given, trace);
            ConsumeOptions co = consume_options(consume_flags);
            EventFilter filter = EventFilter::compile(filter_flags, ctx);
            note_environment_filters(ctx);
            StdoutWriter out;
            tail.terminal = out.is_tty();
            tail.color = color_enabled(ctx.color_flag, tail.terminal, process_env);
            tail.trace = trace.has_value();
            ConsumeStats stats;
            int rc = 0;
            std::string text;
            if (dlq) {
                if (ctx.sharded) throw UsageError("--dlq follows sys.dlq.*, where dead letters are PUBLISHed: no --sharded");
                if (!ctx.channels.empty()) throw UsageError("--dlq follows sys.dlq.*: no --channel");
                for (std::string& t : types) t = ctx.type_from(t);  // a full channel name: its type, as a reader reads it
                DlqView view(TailDlqStyle{tail.json, tail.color, tail.terminal, tail.trace, types}, std::move(filter),
                             out, tail.record);
                rc = run_tail_dlq(ctx, view, replay.since, replay.until, co, stats);
                text = dlq_summary(view, stats, describe_context_filters(ctx));
            } else {
                TailSession session(tail, std::move(filter), out);
                std::vector<Subscription> subs = subscriptions_for(ctx, types, false);
                rc = consume_with_history(ctx, "rbus-tail", subs, replay, co, session.handlers(stats), &stats);
                session.finish();
                text = session.summary(stats, describe_context_filters(ctx));
            }
            // Ctrl-C: what was seen, on stderr so that stdout stays the stream.
            if (rc == kExitSigint && !ctx.quiet) write_stderr(text);
            if (rc == kExitTimeout) print_error("rbus-tail", timeout_message(co, stats));
            return rc;
        };
    });
}
