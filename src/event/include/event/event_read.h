// Reading what arrives on the bus (SPEC §1 "Reading") at line rate: every shape
// (rbus's own envelope, pydantic's BusEvent, the legacy publish() dict, Python's
// json.dumps spacing) is turned into the normalised envelope text in one pass
// over the received bytes, without a tree per message. The text is byte for byte
// what read_envelope(raw)->dump() prints; the fields that filters, templates and
// the tail line use are spans of it, so nothing is parsed twice.
//
// The rare message the one pass cannot settle on its own (invalid JSON or
// fields, duplicate keys, keys written with escapes at the top, a number beyond
// a double, very deep or wide objects) is handed to read_envelope, the tree
// reader, which decides it and says why it is invalid.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "event/envelope.h"
#include "base/timestamp.h"

namespace rbus {

// A normalised envelope as text and fields. Views into the reader's buffers or
// the received bytes: valid until the reader reads the next message.
struct EventView {
    std::string_view text;     // the whole envelope: compact, SPEC §1 key order, unknown keys last
    std::string_view payload;  // the payload's JSON text (any kind, as received)
    // String fields decoded; request_id, source_agent_id and workspace_id are
    // nullopt when null, timestamp when it is not a string.
    std::string_view id, type, priority_text;
    std::optional<std::string_view> request_id, source_agent_id, workspace_id, timestamp;
    Priority priority = Priority::normal;
};

struct EventRead {
    EventView event;     // set when ok()
    std::string error;   // why the message is invalid: one printable ASCII line
    Shape shape = Shape::rbus;
    bool full_read = false;  // decided by read_envelope, not the one pass
    bool ok() const { return error.empty(); }
};

// Reads messages one after another, reusing its buffers: no allocation per
// message once warm.
class EnvelopeReader {
public:
    // One message, as received. Never throws, whatever the bytes. The result
    // (and its views) holds until the next read().
    const EventRead& read(std::string_view raw);

    // How many messages took each road: the measure of how rare the tree is.
    std::uint64_t one_pass_reads() const { return one_pass_; }
    std::uint64_t full_reads() const { return full_; }

private:
    struct Member {  // a top-level member: its raw key and where its canonical value lies
        std::string_view key;
        bool known;    // one of envelope_keys.h
        bool claimed;  // written as one of the envelope's own members
        bool in_scratch;
        std::uint32_t at, size;
    };
    bool one_pass(std::string_view raw);  // envelope_scan.cc; false: hand to the full read
    void full_read(std::string_view raw);

    EventRead result_;
    std::string text_, scratch_, decoded_, fields_;
    std::vector<Member> members_;
    TimestampFormatter clock_;
    std::uint64_t one_pass_ = 0, full_ = 0;
};

// The fields of normalised envelope text (what read_envelope(...)->dump() or
// the one pass wrote): spans of its first eight members, decoded. False when
// the text is not such an envelope.
bool index_envelope_text(std::string_view text, EventView& view, std::string& storage);

// Sets view's fields from the tokens (spans of text) of its first eight members,
// in SPEC §1 order; strings with escapes are decoded into storage. False when a
// token is not what a normalised envelope holds there.
bool set_event_fields(EventView& view, std::string_view text, const std::array<std::string_view, 8>& tokens,
                      std::string& storage);

}  // namespace rbus
