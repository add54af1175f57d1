#include "publish/batch_input.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/error.h"
#include "json/json_scan.h"
#include "base/named_file.h"
#include "event/payload.h"
#include "base/signals.h"
#include "base/timestamp.h"

namespace rbus {

bool LineReader::next(std::string_view& line) {
    if (dropped_ > 0) dropped_ = 0;
    for (;;) {
        std::size_t nl = buf_.find('\n', scan_);
        if (nl != std::string::npos || (eof_ && (pos_ < buf_.size() || dropped_ > 0))) {
            std::size_t end = nl == std::string::npos ? buf_.size() : nl;
            line_bytes_ = end - pos_ + dropped_;
            if (line_bytes_ > max_line_) {
                dropped_ = line_bytes_ - max_line_;
                end = pos_ + max_line_;
            }
            line = std::string_view(buf_).substr(pos_, end - pos_);
            if (dropped_ == 0 && !line.empty() && line.back() == '\r') line.remove_suffix(1);
            pos_ = scan_ = nl == std::string::npos ? buf_.size() : nl + 1;
            return true;
        }
        scan_ = buf_.size();  // searched up to here: never again
        if (buf_.size() - pos_ > max_line_) {  // too long already: keep its start only
            dropped_ += buf_.size() - pos_ - max_line_;
            buf_.resize(pos_ + max_line_);
            scan_ = buf_.size();
        }
        if (eof_ || pending_signal() || !read_more()) return false;
    }
}

bool LineReader::read_more() {
    buf_.erase(0, pos_);  // the lines handed out so far are no longer used
    scan_ -= pos_;
    pos_ = 0;
    pollfd p{fd_, POLLIN, 0};
    if (on_idle_ && ::poll(&p, 1, 0) == 0) on_idle_();  // the next read would wait
    constexpr std::size_t kChunk = 64 * 1024;
    const std::size_t kept = buf_.size();
    buf_.resize(kept + kChunk);
    ssize_t n = ::read(fd_, buf_.data() + kept, kChunk);
    buf_.resize(kept + (n > 0 ? static_cast<std::size_t>(n) : 0));
    if (n == 0) {
        eof_ = true;
    } else if (n < 0 && errno != EINTR) {
        throw Error(fmt::format("cannot read the input: {}", std::strerror(errno)));
    }
    return true;
}

std::string oversize_reason(std::size_t bytes, std::size_t max_bytes) {
    if (bytes <= max_bytes) return {};
    return fmt::format("envelope is {} bytes, more than --max-bytes {}", bytes, max_bytes);
}

std::optional<Envelope> LineParser::build(std::string_view line, std::string& why) const {
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
        why = "empty line";
        return std::nullopt;
    }
    try {
        EnvelopeFields f = base_;
        f.payload = parse_payload_object(line, "payload");
        return Envelope::create(std::move(f));
    } catch (const UsageError& e) {
        why = e.what();
        return std::nullopt;
    }
}

LineParser::LineParser(BatchInput input, EnvelopeFields base, const Context& ctx, std::size_t max_bytes)
    : input_(input), base_(std::move(base)), ctx_(ctx), max_bytes_(max_bytes) {
    if (input_ != BatchInput::payloads) return;
    channel_ = ctx_.publish_channel(base_.type);
    if (base_.id || base_.timestamp) return;  // given once for every line: Envelope::create's business
    try {
        writer_.emplace(base_);
    } catch (const UsageError&) {
        // Every line gets Envelope::create's verdict on the base fields, as without the fast way.
    }
}

namespace {
std::string_view kind_name(jscan::Kind k) {  // as nlohmann's type_name() says it
    switch (k) {
        case jscan::Kind::object: return "object";
        case jscan::Kind::array: return "array";
        case jscan::Kind::string: return "string";
        case jscan::Kind::number: return "number";
        case jscan::Kind::boolean: return "boolean";
        case jscan::Kind::null: return "null";
    }
    return "value";
}
}  // namespace

bool LineParser::read_envelope_line(std::string_view line, std::string& why) {
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
        why = "empty line";
        return false;
    }
    const EventRead& r = reader_.read(line);
    if (!r.ok()) {
        why = r.error;
        return false;
    }
    const EventView& e = r.event;
    try {
        validate_republished(RepublishedFields{e.id, e.type, e.request_id, e.source_agent_id, e.workspace_id,
                                               e.timestamp, kind_name(jscan::kind_at(e.payload, 0))});
    } catch (const UsageError& err) {
        why = err.what();
        return false;
    }
    if (e.timestamp) {
        body_.assign(e.text);
    } else {  // none, or not a string: stamped now, as Envelope::create does
        // In compact text a key's `,"` cannot lie inside a string, so the first match is the key.
        const std::size_t key = e.text.find(R"(,"timestamp":)", static_cast<std::size_t>(e.payload.data() - e.text.data()));
        const std::size_t value = key + 13, end = jscan::skip_value(e.text, value);
        char ts[TimestampFormatter::kLength];
        clock_.now(ts);
        body_.assign(e.text.substr(0, value));
        body_ += '"';
        body_.append(ts, sizeof ts);
        body_ += '"';
        body_.append(e.text.substr(end));
    }
    channel_ = ctx_.publish_channel(e.type);
    return true;
}

std::optional<BatchEvent> LineParser::parse(std::uint64_t line_no, std::string_view line, std::string& why) {
    body_.clear();
    bool written = false;
    if (input_ == BatchInput::envelopes) {
        if (!read_envelope_line(line, why)) return std::nullopt;
        written = true;
    } else if (writer_) {
        char id[36], ts[TimestampFormatter::kLength];
        ids_.next(id);
        clock_.now(ts);
        written = writer_->append(body_, line, {id, sizeof id}, {ts, sizeof ts});
    }
    if (!written) {
        std::optional<Envelope> env = build(line, why);
        if (!env) return std::nullopt;
        body_ = env->dump();
    }
    if (why = oversize_reason(body_.size(), max_bytes_); !why.empty()) return std::nullopt;
    return BatchEvent{line_no, channel_, body_};
}

DeadLetterFile::DeadLetterFile(const std::string& path) {
    // A FIFO works, within the deadline. Written in 64 KiB chunks and at the end.
    if (!path.empty()) file_.emplace(path, "dead-letter file", 64 * 1024);
}

void DeadLetterFile::write(const Json& record) {
    if (file_) file_->append(record.dump(-1, ' ', false, Json::error_handler_t::replace));
}

void DeadLetterFile::invalid(std::uint64_t line, std::string_view input, std::string_view reason) {
    Json r = Json::object();
    r["reason"] = reason;
    r["line"] = line;
    r["input"] = input;
    write(r);
}

void DeadLetterFile::failed(std::uint64_t line, const Envelope& env, std::string_view reason) {
    Json r = Json::object();
    r["reason"] = reason;
    r["line"] = line;
    r["envelope"] = env.json();
    write(r);
}

void DeadLetterFile::flush() {
    if (file_) file_->flush();
}

}  // namespace rbus
