// rbus-publish: publish one event from a shell script.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bus.h"
#include "envelope.h"
#include "error.h"
#include "output.h"
#include "payload.h"
#include "publisher.h"
#include "tool.h"

using namespace rbus;

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
    std::string type, priority = "normal", id;
    std::vector<std::string> items;
    bool dry_run = false, record_metrics = false;
    long long min_receivers = 0;
    return tool_main("rbus-publish", "Publish an event on the RaptorBus (Redis pub/sub).", argc, argv,
                     [&](CLI::App& app) -> ToolRun {
        app.add_option("TYPE", type, "event type, e.g. agent.task_started")->required();
        app.add_option("PAYLOAD", items, "JSON object, @FILE, - (stdin), or items key=value key:=json ...");
        app.add_option("--priority", priority, "low|normal|high|critical (default normal)");
        app.add_option("--id", id, "event id (default: a new UUID v4)");
        app.add_flag("--dry-run", dry_run, "validate and print the envelope; no connection");
        app.add_flag("--record-metrics", record_metrics, "also INCR metrics:channel:{channel}:published (env RAPTORBUS_METRICS=1)");
        app.add_option("--min-receivers", min_receivers, "exit 4 when fewer subscribers received the event");
        return [&](const Context& ctx) {
            EnvelopeFields f;
            f.type = type;
            auto prio = parse_priority(priority);
            if (!prio) throw UsageError(fmt::format("invalid priority \"{}\": use low, normal, high or critical", priority));
            f.priority = *prio;
            f.payload = payload_from_args(items);
            if (!id.empty()) f.id = id;
            f.request_id = ctx.correlation_id;
            f.workspace_id = ctx.workspace_id;
            f.source_agent_id = ctx.source_agent_id;
            Envelope env = Envelope::create(std::move(f));

            StdoutWriter out;
            bool color = color_enabled(ctx.color_flag, out.is_tty(), process_env);
            long long receivers = -1;
            if (!dry_run) {
                auto conn = connect_bus(ctx.connect, "rbus-publish");
                PublishOptions po;
                po.record_metrics = record_metrics || process_env("RAPTORBUS_METRICS") == std::optional<std::string>("1");
                receivers = Publisher(*conn, ctx, po).publish(env);
            }
            if (!ctx.quiet) out.line(color ? colorize_json(env.json()) : env.dump());
            out.flush();
            if (!dry_run && receivers < min_receivers) {
                print_error("rbus-publish", fmt::format("event {} reached {} subscriber(s), fewer than --min-receivers {}",
                                                        env.id(), receivers, min_receivers));
                return kExitFewReceivers;
            }
            return kExitOk;
        };
    });
}
