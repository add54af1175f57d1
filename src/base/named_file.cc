#include "base/named_file.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/signals.h"

namespace rbus {
namespace {

Deadline g_deadline;

constexpr int kSliceMs = 50;  // how often a wait looks at signals and the deadline

// Throws when a signal came or the deadline passed while waiting for `path`.
void check_wait(const std::string& path, std::string_view what, std::string_view other_end) {
    throw_if_interrupted();
    if (g_deadline && Clock::now() >= *g_deadline)
        throw FileWaitTimeout(fmt::format("timed out waiting for {} {} (a FIFO without its {})", what, path, other_end));
}

int slice_ms() {
    if (!g_deadline) return kSliceMs;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*g_deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 1, kSliceMs));
}

void make_blocking(int fd) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}

bool is_fifo(int fd) {
    struct stat st {};
    return ::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

std::string directory_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

void set_file_wait_deadline(Deadline deadline) { g_deadline = deadline; }

int open_for_reading(const std::string& path, std::string_view what) {
    // O_NONBLOCK: open() of a FIFO returns at once instead of waiting for a writer.
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw UsageError(fmt::format("cannot read {} {}: {}", what, path, std::strerror(errno)));
    if (is_fifo(fd)) {
        // A FIFO that never had a writer is not readable and does not hang up:
        // poll until one writes (or opens and closes), in slices.
        while (true) {
            pollfd p{fd, POLLIN, 0};
            int n = ::poll(&p, 1, slice_ms());
            if (n > 0) break;
            try {
                check_wait(path, what, "writer");
            } catch (...) {
                ::close(fd);
                throw;
            }
        }
    }
    make_blocking(fd);
    return fd;
}

std::string read_named_file(const std::string& path, std::string_view what, std::size_t max_bytes) {
    int fd = open_for_reading(path, what);
    std::string out;
    char buf[65536];
    while (true) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            out.append(buf, static_cast<std::size_t>(n));
            if (out.size() > max_bytes) {
                ::close(fd);
                throw UsageError(fmt::format("{} {} is larger than {} bytes", what, path, max_bytes));
            }
            continue;
        }
        if (n == 0) break;
        if (errno == EINTR) {
            if (pending_signal()) {
                ::close(fd);
                throw_if_interrupted();
            }
            continue;
        }
        int err = errno;
        ::close(fd);
        throw UsageError(fmt::format("cannot read {} {}: {}", what, path, std::strerror(err)));
    }
    ::close(fd);
    return out;
}

int open_for_appending(const std::string& path, std::string_view what) {
    while (true) {
        // O_NONBLOCK: a FIFO without a reader fails with ENXIO instead of waiting.
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_CLOEXEC, 0644);
        if (fd >= 0) {
            make_blocking(fd);
            return fd;
        }
        if (errno != ENXIO && errno != EINTR)
            throw Error(fmt::format("cannot open {} {}: {}", what, path, std::strerror(errno)));
        check_wait(path, what, "reader");
        sleep_unless_signal(Clock::now() + std::chrono::milliseconds(slice_ms()));
    }
}

void remove_stale_ready_file(const std::string& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        throw Error(fmt::format("cannot remove the old ready file {}: {}", path, std::strerror(errno)));
}

void create_ready_file(const std::string& path) {
    std::string dir = directory_of(path);
    std::string tmp = dir + "/.rbus-ready.XXXXXX";
    int fd = ::mkostemp(tmp.data(), O_CLOEXEC);  // O_EXCL: never an existing file or link
    if (fd < 0) throw Error(fmt::format("cannot create ready file {}: {} (in {})", path, std::strerror(errno), dir));
    ::fchmod(fd, 0644);
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        throw Error(fmt::format("cannot create ready file {}: {}", path, std::strerror(err)));
    }
}

}  // namespace rbus
