// rbus-publish: publish events from a shell script or a pipeline.
#include <CLI/CLI.hpp>

#include "publish/dlq_redrive.h"
#include "base/error.h"
#include "bus/history_options.h"
#include "publish/publish_run.h"
#include "base/size_flags.h"
#include "app/history_context.h"
#include "app/tool.h"

using namespace rbus;

// Publishing flags a redrive would ignore (it publishes each event as it was).
constexpr const char* kNotWithRedrive[] = {"--priority", "--id",      "--record-metrics", "--min-receivers",
                                           "--max-bytes", "--count",   "--interval",       "--wait-for",
                                           "--timeout",  "--stdin",   "--envelopes",      "--dead-letter",
                                           "--retries",  "--history", "--retain",         "--max-len"};

int main(int argc, char** argv) {
    // CLI11 reads "[1,2]" as a list of values; a JSON array given as the
    // payload must instead get the payload error.
    for (int i = 2; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a.size() >= 2 && a.front() == '[' && a.back() == ']' && std::string_view(argv[i - 1]).rfind("--", 0) != 0 &&
            Json::accept(a.begin(), a.end())) {
            print_error("rbus-publish", "payload must be a JSON object (got array)");
            return kExitUsage;
        }
    }
    PublishRequest req;
    std::string count, max_bytes;
    bool redrive = false;
    RedriveRequest redrive_req;
    return tool_main("rbus-publish", "Publish events on the RaptorBus (Redis pub/sub).", argc, argv,
                     [&](CLI::App& app) -> ToolRun {
        app.footer("  rbus-publish agent.task_started agent_id=RES-001 tokens:=1500\n"
                   "  rbus-publish -c corr-456 --priority high model.inference_complete @result.json\n"
                   "  jq -c '.items[]' export.json | rbus-publish order.imported --stdin\n"
                   "  rbus-publish --wait-for workflow.completed --timeout 30s workflow.started id=wf-1\n");
        app.add_option("TYPE", req.type, "event type, e.g. agent.task_started (not with --envelopes)")->type_name("TYPE");
        app.add_option("PAYLOAD", req.payload_args, "JSON object, @FILE, - (stdin), or items key=value key:=json ...")
            ->type_name("PAYLOAD");
        app.add_option("--priority", req.priority, "low|normal|high|critical (default normal)");
        app.add_option("--id", req.id, "event id (default: a new UUID v4)");
        app.add_flag("--dry-run", req.dry_run, "validate and print; no connection");
        app.add_flag("--record-metrics", req.record_metrics,
                     "also INCR metrics:channel:{channel}:published (env RAPTORBUS_METRICS=1)");
        app.add_option("--min-receivers", req.min_receivers,
                       "exit 4 when any event reached fewer subscribers (on a plain cluster: the node's)")
            ->type_name("N");
        app.add_option("--max-bytes", max_bytes, "largest envelope in bytes (default 1048576)")->type_name("N");
        const char* rep = "Repeating";
        auto* count_opt = app.add_option("--count", count, "publish N events ({{seq}} {{uuid}} {{now}} in strings)")
                              ->type_name("N")->group(rep);
        app.add_option("--interval", req.interval, "wait DUR between repeats")->type_name("DUR")->group(rep);
        const char* rr = "Request/reply";
        app.add_option("--wait-for", req.wait_for, "then wait for TYPE[,TYPE...] with our request_id; print it")
            ->type_name("TYPE")->group(rr);
        app.add_option("--timeout", req.timeout, "give up waiting after DUR: exit 124 (default 30s)")
            ->type_name("DUR")->group(rr);
        const char* b = "Batches";
        app.add_flag("--stdin", req.stdin_batch, "one payload object per input line, for TYPE")->group(b);
        app.add_option_function<std::string>("--envelopes", [&](const std::string& f) { req.envelopes = f; },
                                             "one envelope per line from FILE (default or -: stdin)")
            ->expected(0, 1)->type_name("[FILE]")->group(b);
        app.add_option("--dead-letter", req.dead_letter, "append lines/events not published to FILE (NDJSON)")
            ->type_name("FILE")->group(b);
        app.add_option("--retries", req.retries, "reconnect attempts when the connection is lost (default 3)")
            ->type_name("N")->group(b);
        const char* h = "History";
        app.add_flag("--history", req.history_flag,
                     "also record in rbus:history:{CHANNEL} and msg:{channel}:{id}, before the PUBLISH "
                     "(atomically on one node; env RAPTORBUS_HISTORY=1)")
            ->group(h);
        add_retention_options(app, req.retention, h);
        app.add_flag("--redrive", redrive, "return DLQ entries where they came from (TYPE globs select)")->group(h);
        app.add_option("--reason", redrive_req.reasons, "with --redrive: only entries of this DLQ reason")
            ->type_name("REASON")
            ->check(not_empty("reason"))
            ->group(h);
        app.add_option("--since", redrive_req.since, "with --redrive: entries that failed since DUR ago, a TIMESTAMP or ID")
            ->type_name("DUR|TIMESTAMP|ID")
            ->check(not_empty("value"))
            ->group(h);
        app.add_option("--until", redrive_req.until, "with --redrive: entries that failed until DUR ago, a TIMESTAMP or ID")
            ->type_name("DUR|TIMESTAMP|ID")
            ->check(not_empty("value"))
            ->group(h);
        set_context_details([&](const Context& ctx, nlohmann::ordered_json& j) {
            HistoryContext h;
            h.record = req.history_flag;
            h.retention = true;
            h.retain = req.retention.retain;
            h.max_len = req.retention.max_len;
            h.redrive = redrive;
            h.reasons = redrive_req.reasons;
            h.replay = redrive;
            h.since = redrive_req.since;
            h.until = redrive_req.until;
            j["history"] = history_context_json(ctx, h);
        });
        return [&, count_opt, app_ptr = &app](const Context& ctx) {
            if (redrive) {
                for (const char* name : kNotWithRedrive)
                    if (app_ptr->get_option(name)->count() > 0 || (ctx.sharded || !ctx.channels.empty()))
                        throw UsageError("--redrive takes only TYPE globs, --reason, --since, --until, --dry-run and "
                                         "the reader's filters -w/-c (not publishing flags, --channel or --sharded)");
                redrive_req.filter = EventFilter::compile(FilterOptions{}, ctx);  // -w, -c, RAPTORBUS_WORKSPACE_ID
                note_environment_filters(ctx);
                std::vector<std::string> globs = req.payload_args;
                if (!req.type.empty()) globs.insert(globs.begin(), req.type);
                add_type_globs(ctx, globs, redrive_req);
                redrive_req.dry_run = req.dry_run;
                return run_redrive(ctx, redrive_req);
            }
            if (!redrive_req.reasons.empty() || !redrive_req.since.empty() || !redrive_req.until.empty())
                throw UsageError("--reason, --since and --until are for --redrive");
            if (count_opt->count() > 0) req.count = parse_count("--count", count);
            if (!max_bytes.empty()) req.max_bytes = parse_max_bytes(max_bytes);
            if (app.count("--envelopes") > 0 && !req.envelopes) req.envelopes = "";
            return run_publish(ctx, req);
        };
    });
}
