// The input side of a batch publish: lines from a file descriptor, each line
// turned into an event (or the reason it is invalid), and the dead-letter file
// that receives, as NDJSON, every line or event that was not published.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "bus/batch_publisher.h"
#include "app/context.h"
#include "event/envelope.h"
#include "event/envelope_writer.h"
#include "event/event_read.h"
#include "base/timestamp.h"
#include "base/line_appender.h"
#include "base/uuid.h"

namespace rbus {

// Reads lines from fd. Before a read that would wait for the producer, calls on_idle,
// so that a slow producer (a pipe, a fifo) never leaves events unsent or unconfirmed.
// Each byte is searched for the line end once (linear in the input, however long
// the line), and a line longer than max_line is not kept past max_line bytes.
class LineReader {
public:
    LineReader(int fd, std::function<void()> on_idle, std::size_t max_line = std::string::npos)
        : fd_(fd), on_idle_(std::move(on_idle)), max_line_(max_line) {}
    // The next line without its "\n" (nor a "\r" before it), valid until the next
    // call. False at the end of the input or when SIGINT/SIGTERM arrived. Throws
    // Error when reading fails.
    bool next(std::string_view& line);
    // The line just handed out was longer than max_line: `line` is its first
    // max_line bytes, the rest was read and dropped; line_bytes() is its length.
    bool too_long() const { return dropped_ > 0; }
    std::size_t line_bytes() const { return line_bytes_; }

private:
    bool read_more();

    int fd_;
    std::function<void()> on_idle_;
    std::size_t max_line_;
    std::string buf_;
    std::size_t pos_ = 0;      // start of the current line
    std::size_t scan_ = 0;     // where the search for its end goes on
    std::size_t dropped_ = 0;  // bytes of the current line beyond max_line_, not kept
    std::size_t line_bytes_ = 0;
    bool eof_ = false;
};

enum class BatchInput { payloads, envelopes };

// Turns input lines into events: --stdin lines are payload objects for one TYPE,
// --envelopes lines are whole envelopes (ids kept) in any shape rbus reads.
// A --stdin line that is a plain JSON object is written into its envelope as text
// (EnvelopeWriter); anything else goes through Envelope::create, which decides.
class LineParser {
public:
    // base: type, priority and context ids for --stdin (ignored for --envelopes).
    LineParser(BatchInput input, EnvelopeFields base, const Context& ctx, std::size_t max_bytes);

    // The event, or nullopt with `why` set, e.g. "payload must be a JSON object (got array)".
    // Its channel and body stay valid until the next call.
    std::optional<BatchEvent> parse(std::uint64_t line_no, std::string_view line, std::string& why);

private:
    // --stdin: a line that EnvelopeWriter did not take, through Envelope::create.
    std::optional<Envelope> build(std::string_view line, std::string& why) const;
    // --envelopes: the line read in one pass (event_read.h) into body_ and channel_;
    // false with `why` when it is not an envelope rbus may publish.
    bool read_envelope_line(std::string_view line, std::string& why);

    BatchInput input_;
    EnvelopeFields base_;
    const Context& ctx_;
    std::size_t max_bytes_;
    std::optional<EnvelopeWriter> writer_;  // --stdin with valid base fields
    UuidV4Generator ids_;
    TimestampFormatter clock_;
    EnvelopeReader reader_;
    std::string channel_, body_;
};

// "envelope is 2000000 bytes, more than --max-bytes 1048576"; empty when within the limit.
std::string oversize_reason(std::size_t bytes, std::size_t max_bytes);

// Appends one JSON line per record: {"reason":…,"line":N,"input":"…"} for a line that
// was invalid, {"reason":…,"line":N,"envelope":{…}} for an event that failed.
class DeadLetterFile {
public:
    // Empty path: records are dropped. Throws Error when the file cannot be opened.
    explicit DeadLetterFile(const std::string& path);
    DeadLetterFile(const DeadLetterFile&) = delete;
    DeadLetterFile& operator=(const DeadLetterFile&) = delete;

    void invalid(std::uint64_t line, std::string_view input, std::string_view reason);
    void failed(std::uint64_t line, const Envelope& env, std::string_view reason);
    void flush();

private:
    void write(const Json& record);
    std::optional<LineAppender> file_;
};

}  // namespace rbus
