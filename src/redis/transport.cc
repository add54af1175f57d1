#include "redis/transport.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/error.h"

namespace rbus {

namespace {

void set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL, 0);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// Non-blocking connect bounded by the timeout; returns the error text or "".
std::string connect_with_timeout(int fd, const sockaddr* addr, socklen_t len,
                                 std::chrono::milliseconds timeout) {
    set_nonblocking(fd);
    if (::connect(fd, addr, len) == 0) return "";
    if (errno != EINPROGRESS) return std::strerror(errno);
    if (!wait_fd(fd, POLLOUT, deadline_after(timeout))) return "connect timed out";
    int err = 0;
    socklen_t errlen = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen);
    return err == 0 ? "" : std::strerror(err);
}

}  // namespace

std::unique_ptr<SocketTransport> SocketTransport::connect_tcp(const std::string& host, uint16_t port,
                                                              std::chrono::milliseconds timeout) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    std::string port_text = std::to_string(port);
    int rc = ::getaddrinfo(host.c_str(), port_text.c_str(), &hints, &res);
    std::string where = host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                                            : fmt::format("{}:{}", host, port);
    if (rc != 0) throw ConnectError(fmt::format("cannot resolve {}: {}", host, gai_strerror(rc)));
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
    std::string last_error = "no address";
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
        int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            last_error = std::strerror(errno);
            continue;
        }
        last_error = connect_with_timeout(fd, ai->ai_addr, ai->ai_addrlen, timeout);
        if (last_error.empty()) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            // A quiet subscription must notice a dead peer or a dropped NAT
            // entry: probe after 30s idle, every 10s, give up after 3.
            int idle = 30, interval = 10, count = 3;
            setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
            return std::unique_ptr<SocketTransport>(new SocketTransport(fd, where));
        }
        ::close(fd);
    }
    throw ConnectError(fmt::format("cannot connect to {}: {}", where, last_error));
}

std::unique_ptr<SocketTransport> SocketTransport::connect_unix(const std::string& path,
                                                               std::chrono::milliseconds timeout) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
        throw ConnectError(fmt::format("socket path too long: {}", path));
    std::memcpy(addr.sun_path, path.data(), path.size());
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw ConnectError(fmt::format("cannot create socket: {}", std::strerror(errno)));
    std::string err = connect_with_timeout(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr, timeout);
    if (!err.empty()) {
        ::close(fd);
        throw ConnectError(fmt::format("cannot connect to unix socket {}: {}", path, err));
    }
    return std::unique_ptr<SocketTransport>(new SocketTransport(fd, "unix:" + path));
}

SocketTransport::~SocketTransport() { ::close(fd_); }

void SocketTransport::write_all(std::string_view data, Deadline deadline) {
    while (!data.empty()) {
        ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n > 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!wait_fd(fd_, POLLOUT, deadline) && deadline && Clock::now() >= *deadline)
                throw TimeoutError(fmt::format("write to {} timed out", peer_));
            continue;
        }
        throw IoError(fmt::format("connection to {} lost: {}", peer_, std::strerror(errno)));
    }
}

std::size_t SocketTransport::read_some(char* buf, std::size_t len, Deadline deadline) {
    for (;;) {
        ssize_t n = ::recv(fd_, buf, len, 0);
        if (n > 0) return static_cast<std::size_t>(n);
        if (n == 0) throw IoError(fmt::format("connection to {} closed by the server", peer_));
        if (errno == EINTR) return 0;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            throw IoError(fmt::format("connection to {} lost: {}", peer_, std::strerror(errno)));
        if (!wait_fd(fd_, POLLIN, deadline)) return 0;
    }
}

}  // namespace rbus
