// Envelopes written straight as text for rbus-publish --stdin: one set of
// fields, many payload lines, each envelope byte for byte what
// Envelope::create(fields).dump() gives, without building a JSON tree.
#pragma once

#include <string>
#include <string_view>

#include "event/envelope.h"

namespace rbus {

class EnvelopeWriter {
public:
    // base: type, priority and context ids (its payload, id and timestamp are ignored).
    // Validates them as Envelope::create does: throws UsageError.
    explicit EnvelopeWriter(const EnvelopeFields& base);

    // Appends the envelope of one payload line with this id and timestamp (already in
    // canonical form). False, with out as it was, when the fast way cannot tell: the line
    // is not a valid JSON object within the nesting limit, or needs the full parser (see
    // append_canonical_json). The caller then builds it with Envelope::create, which
    // gives the verdict and the message.
    bool append(std::string& out, std::string_view payload_line, std::string_view id,
                std::string_view timestamp) const;

private:
    std::string type_part_;  // ","type":"…","payload":
    std::string rest_part_;  // ,"priority":…,"timestamp":"
};

}  // namespace rbus
