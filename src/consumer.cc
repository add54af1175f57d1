#include "consumer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "error.h"
#include "signals.h"

namespace rbus {

void touch_ready_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Error(fmt::format("cannot create ready file {}: {}", path, std::strerror(errno)));
    ::close(fd);
}

int consume(Subscriber& sub, const ConsumeOptions& options, const ConsumeHandlers& handlers) {
    Deadline deadline = deadline_after(options.timeout);
    sub.start();
    if (!options.ready_file.empty()) touch_ready_file(options.ready_file);
    std::uint64_t matched = 0;
    bool done = options.count && *options.count == 0;
    while (!done) {
        if (int sig = pending_signal()) {
            if (handlers.on_burst) handlers.on_burst();
            return signal_exit_code(sig);
        }
        auto wake = sub.poll(deadline, [&](const BusMessage& m) {
            ReadResult read = read_envelope(m.data);
            ReceivedEvent ev{m, read, Clock::now()};
            if (handlers.on_event(ev)) ++matched;
            if (options.count && matched >= *options.count) {
                done = true;
                return false;
            }
            return true;
        });
        if (handlers.on_burst) handlers.on_burst();
        if (wake == Subscriber::Wake::deadline) return options.count ? kExitTimeout : kExitOk;
    }
    return kExitOk;
}

}  // namespace rbus
