// A Transport that replays scripted server bytes and records what was sent.
#pragma once

#include <deque>
#include <thread>
#include <string>

#include "base/error.h"
#include "redis/transport.h"

namespace rbus::testing {

class FakeTransport : public Transport {
public:
    std::string sent;
    std::deque<std::string> chunks;  // each read_some returns (part of) the front chunk
    bool closed_after = false;       // throw IoError when chunks run out
    bool frozen = false;             // when chunks run out, wait out the deadline like a silent server

    void write_all(std::string_view data, Deadline) override { sent.append(data); }
    std::size_t read_some(char* buf, std::size_t len, Deadline deadline) override {
        if (chunks.empty()) {
            if (closed_after) throw IoError("connection closed by the server");
            if (frozen && deadline) std::this_thread::sleep_until(*deadline);
            return 0;
        }
        std::string& front = chunks.front();
        std::size_t n = std::min(len, front.size());
        front.copy(buf, n);
        front.erase(0, n);
        if (front.empty()) chunks.pop_front();
        return n;
    }
    std::string peer() const override { return "fake:0"; }
};

}  // namespace rbus::testing
