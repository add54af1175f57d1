// libFuzzer target: the RESP reader (resp_reader.h) on any bytes from a server.
// scan_frame says incomplete, malformed or a whole frame that fits the input;
// every prefix of a whole frame is incomplete; a whole frame builds, a message
// into the same spans; a Connection reading the bytes in small reads (the
// first byte picks the read size) returns replies until the bytes run out or
// throws ProtocolError, and reads the same replies as one read does.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "redis/connection.h"
#include "redis/resp_reader.h"

namespace {

class BytesTransport : public rbus::Transport {
public:
    BytesTransport(std::string_view bytes, std::size_t read_size) : bytes_(bytes), read_size_(read_size) {}
    void write_all(std::string_view, rbus::Deadline) override {}
    std::size_t read_some(char* buf, std::size_t len, rbus::Deadline) override {
        std::size_t n = std::min({len, read_size_, bytes_.size()});
        bytes_.copy(buf, n);
        bytes_.remove_prefix(n);
        return n;
    }
    std::string peer() const override { return "fuzz:0"; }

private:
    std::string_view bytes_;
    std::size_t read_size_;
};

// A reply tree as text, to compare two reads.
void shape(const redisReply* r, std::string& out) {
    out += std::to_string(r->type);
    out += ':';
    if (r->type == REDIS_REPLY_INTEGER) out += std::to_string(r->integer);
    out.append(rbus::reply_text(r));
    out += '[';
    for (std::size_t i = 0; i < r->elements; ++i) shape(r->element[i], out);
    out += ']';
}

// Every reply the bytes make, read `read_size` bytes at a time; "!" ends it on a ProtocolError.
std::string read_all(std::string_view bytes, std::size_t read_size) {
    rbus::Connection c(std::make_unique<BytesTransport>(bytes, read_size));
    c.set_read_size(read_size < 4 ? 4 : read_size);
    c.set_max_reply_bytes(1 << 20);
    std::string out;
    try {
        while (rbus::Reply r = c.read_reply(std::nullopt)) {
            shape(r.get(), out);
            out += '\n';
        }
    } catch (const rbus::ProtocolError&) {
        out += '!';
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::size_t read_size = 1 + data[0] % 32;
    std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

    rbus::RespFrame f = rbus::scan_frame(bytes);
    using Kind = rbus::RespFrame::Kind;
    if (f.kind == Kind::incomplete) {
        if (f.needed != 0 && f.needed <= bytes.size()) std::abort();  // it would fit: not incomplete
    } else if (f.kind != Kind::malformed) {
        if (f.size == 0 || f.size > bytes.size()) std::abort();
        for (std::size_t n = 0; n < f.size; ++n)
            if (rbus::scan_frame(bytes.substr(0, n)).kind != Kind::incomplete) std::abort();
        rbus::Reply r = rbus::build_reply(bytes.substr(0, f.size));
        if (!r) std::abort();
        if (f.kind == Kind::message) {
            if (r->type != REDIS_REPLY_ARRAY || r->elements < 3) std::abort();
            const bool p = !f.pattern.empty() || r->elements == 4;
            if (rbus::reply_text(r->element[p ? 3 : 2]) != f.data) std::abort();
            if (rbus::reply_text(r->element[p ? 2 : 1]) != f.channel) std::abort();
        }
        if (f.kind == Kind::integer && (r->type != REDIS_REPLY_INTEGER || r->integer != f.integer)) std::abort();
        if (f.kind == Kind::error && (r->type != REDIS_REPLY_ERROR || rbus::reply_text(r.get()) != f.text))
            std::abort();
    }
    if (read_all(bytes, read_size) != read_all(bytes, 1 << 16)) std::abort();
    return 0;
}
