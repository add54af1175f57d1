// rbus-tail: follow the bus as a person does, one readable line per event.
#include <sys/ioctl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "consumer.h"
#include "duration.h"
#include "format.h"
#include "log.h"
#include "output.h"
#include "tool.h"

using namespace rbus;

namespace {
int terminal_width() {
    winsize ws{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 0;
}
}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> types;
    std::uint64_t count = 0;
    std::string timeout, ready_file;
    bool json = false;
    return tool_main("rbus-tail", "Follow events on the RaptorBus, one readable line each.", argc, argv,
                     [&](CLI::App& app) -> ToolRun {
        app.add_option("TYPE", types, "event types or glob patterns (default: everything)");
        auto* count_opt = app.add_option("-n,--count", count, "exit 0 after N events");
        app.add_option("--timeout", timeout, "stop after DUR (exit 124 if --count was not reached)");
        app.add_option("--ready-file", ready_file, "create PATH once subscribed");
        app.add_flag("--json", json, "print what rbus-subscribe prints");
        return [&, count_opt](const Context& ctx) {
            ConsumeOptions co;
            if (count_opt->count() > 0) co.count = count;
            if (!timeout.empty()) co.timeout = parse_duration(timeout);
            co.ready_file = ready_file;
            Subscriber sub(ctx.connect, "rbus-tail", subscriptions_for(ctx, types, false));

            StdoutWriter out;
            bool tty = out.is_tty();
            bool color = color_enabled(ctx.color_flag, tty, process_env);
            auto formatter = json ? make_json_formatter(color)
                                  : make_tail_formatter(TailStyle{color, tty ? terminal_width() : 0});
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
