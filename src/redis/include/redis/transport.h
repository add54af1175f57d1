// The byte stream under a Redis connection. Abstract so that the protocol
// code above it (reader, pipelining, reconnect) is testable without a server,
// and so that TLS can sit in the same place as a plain socket.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/deadline.h"

namespace rbus {

class Transport {
public:
    virtual ~Transport() = default;
    // Writes everything or throws IoError / TimeoutError.
    virtual void write_all(std::string_view data, Deadline deadline) = 0;
    // Reads at least one byte; returns 0 when the deadline passed first or a
    // signal interrupted the wait (check pending_signal()). Throws IoError
    // when the peer closed or the socket failed.
    virtual std::size_t read_some(char* buf, std::size_t len, Deadline deadline) = 0;
    // A human description for logs, e.g. "127.0.0.1:6379".
    virtual std::string peer() const = 0;
    // The socket to poll(2) when waiting on several connections at once; -1: none.
    virtual int fd() const { return -1; }
};

class SocketTransport : public Transport {
public:
    static std::unique_ptr<SocketTransport> connect_tcp(const std::string& host, uint16_t port,
                                                        std::chrono::milliseconds timeout);
    static std::unique_ptr<SocketTransport> connect_unix(const std::string& path,
                                                         std::chrono::milliseconds timeout);
    ~SocketTransport() override;
    SocketTransport(const SocketTransport&) = delete;
    SocketTransport& operator=(const SocketTransport&) = delete;

    void write_all(std::string_view data, Deadline deadline) override;
    std::size_t read_some(char* buf, std::size_t len, Deadline deadline) override;
    std::string peer() const override { return peer_; }
    int fd() const override { return fd_; }

private:
    SocketTransport(int fd, std::string peer) : fd_(fd), peer_(std::move(peer)) {}
    int fd_;
    std::string peer_;
};

}  // namespace rbus
