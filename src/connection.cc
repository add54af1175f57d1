#include "connection.h"

#include <fmt/format.h>

#include "error.h"

namespace rbus {

Connection::Connection(std::unique_ptr<Transport> transport)
    : transport_(std::move(transport)), reader_(redisReaderCreate()), in_(64 * 1024) {
    if (!reader_) throw Error("out of memory creating the reply reader");
}

void Connection::append(const std::vector<std::string_view>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (auto a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    char* cmd = nullptr;
    int len = redisFormatCommandArgv(&cmd, static_cast<int>(args.size()), argv.data(), lens.data());
    if (len < 0 || !cmd) throw Error("out of memory formatting a command");
    out_.append(cmd, static_cast<std::size_t>(len));
    redisFreeCommand(cmd);
}

void Connection::flush(Deadline deadline) {
    if (out_.empty()) return;
    transport_->write_all(out_, deadline);
    out_.clear();
}

Reply Connection::buffered_reply() {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK)
        throw ProtocolError(fmt::format("protocol error from {}: {}", peer(), reader_->errstr));
    return Reply(static_cast<redisReply*>(raw));
}

Reply Connection::read_reply(Deadline deadline) {
    for (;;) {
        if (Reply r = buffered_reply()) return r;
        std::size_t n = transport_->read_some(in_.data(), in_.size(), deadline);
        if (n == 0) return nullptr;
        if (redisReaderFeed(reader_.get(), in_.data(), n) != REDIS_OK)
            throw ProtocolError(fmt::format("protocol error from {}: {}", peer(), reader_->errstr));
    }
}

Reply Connection::command(const std::vector<std::string_view>& args, std::chrono::milliseconds timeout) {
    Deadline deadline = deadline_after(timeout);
    append(args);
    flush(deadline);
    for (;;) {
        Reply r = read_reply(deadline);
        if (r) {
            if (r->type == REDIS_REPLY_ERROR) throw ReplyError(std::string(reply_text(r.get())));
            return r;
        }
        if (deadline && Clock::now() >= *deadline)
            throw TimeoutError(fmt::format("no reply from {} within {}ms", peer(), timeout.count()));
    }
}

}  // namespace rbus
