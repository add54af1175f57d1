// rbus-subscribe: print events from the bus, one JSON envelope per line.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "consumer.h"
#include "duration.h"
#include "error.h"
#include "format.h"
#include "log.h"
#include "output.h"
#include "tool.h"

using namespace rbus;

int main(int argc, char** argv) {
    std::vector<std::string> types;
    bool all = false;
    std::uint64_t count = 0;
    std::string timeout, ready_file;
    return tool_main("rbus-subscribe", "Print events from the RaptorBus as JSON lines.", argc, argv,
                     [&](CLI::App& app) -> ToolRun {
        app.add_option("TYPE", types, "event types or glob patterns (* ? [..]) under the prefix");
        app.add_flag("--all", all, "every event under the prefix (same as *)");
        auto* count_opt = app.add_option("-n,--count", count, "exit 0 after N matching events");
        app.add_option("--timeout", timeout, "give up after DUR (exit 124 if --count was not reached)");
        app.add_option("--ready-file", ready_file, "create PATH once every subscription is confirmed");
        return [&, count_opt](const Context& ctx) {
            ConsumeOptions co;
            if (count_opt->count() > 0) co.count = count;
            if (!timeout.empty()) co.timeout = parse_duration(timeout);
            co.ready_file = ready_file;
            Subscriber sub(ctx.connect, "rbus-subscribe", subscriptions_for(ctx, types, all));

            StdoutWriter out;
            auto formatter = make_json_formatter(color_enabled(ctx.color_flag, out.is_tty(), process_env));
            std::string line;
            ConsumeHandlers h;
            h.on_event = [&](const ReceivedEvent& ev) {
                if (!ev.read.ok()) {
                    logger().warn(fmt::format("skipped invalid message on {}: {}", ev.message.channel, ev.read.error));
                    return false;
                }
                line.clear();
                formatter->format({ev.message, *ev.read.envelope, std::chrono::system_clock::now()}, line);
                out.line(line);
                return true;
            };
            h.on_burst = [&] { out.flush(); };
            return consume(sub, co, h);
        };
    });
}
