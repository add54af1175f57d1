// The fast path of reading: a message that is already a canonical rbus
// envelope is recognised by an allocation-free scan (json_scan.h) instead of
// a full read into a tree. Canonical means that read_envelope() followed by
// Envelope::dump() would give back exactly the received bytes: compact JSON,
// the SPEC §1 keys in order (then unknown keys), valid field values, and every
// string, key and number written as nlohmann writes it. Such a message can be
// filtered on its spans and printed as received.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "envelope.h"
#include "json_scan.h"

namespace rbus {

// Spans of a canonical message. String fields are JSON tokens with their
// quotes; the optional ones are the token `null` when null.
struct CanonicalEnvelope {
    std::string_view raw;  // the whole message, which is also the normalised envelope
    std::string_view id, type, payload, request_id, source_agent_id, workspace_id, timestamp;
    Priority priority = Priority::normal;
};

// True when raw is canonical; then env holds its spans. Anything else
// (other shapes, whitespace, escapes or numbers nlohmann writes another
// way, duplicate keys, deep nesting, invalid JSON) is false: the caller
// takes the full read, which decides what it is. One pass of jscan::scan
// checks the JSON; the envelope's own fields are checked on its spans.
bool scan_canonical(std::string_view raw, CanonicalEnvelope& env);

// Whether a timestamp string body is already RFC 3339 UTC with microseconds
// and Z, as normalize_timestamp() would leave it.
bool is_canonical_timestamp(std::string_view text);

// A string token (with quotes) compared with decoded text; false for any other token.
bool token_equals(std::string_view token, std::string_view text);
// The text of a valid value as filters compare it (filter.h json_text): a
// string decoded, anything else as its (canonical, compact) JSON text.
void append_json_text(std::string& out, jscan::Value v);

}  // namespace rbus
