// libFuzzer target: read_envelope must never throw or crash, whatever the bytes,
// and what it accepts must dump and read back as a valid envelope. The one-pass
// reader (event_read.h) must agree with it byte for byte: the same verdict, the
// same normalised text, the same reason for an invalid message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "event/envelope.h"
#include "event/event_read.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view raw(reinterpret_cast<const char*>(data), size);
    rbus::ReadResult r = rbus::read_envelope(raw);
    static rbus::EnvelopeReader reader;  // reused, as the consumers reuse theirs
    const rbus::EventRead& one = reader.read(raw);
    if (one.ok() != r.ok() || one.shape != r.shape) std::abort();
    if (!r.ok() && one.error != r.error) std::abort();
    if (r.ok() && (one.event.text != r.envelope->dump() || one.event.type != r.envelope->type() ||
                   one.event.id != r.envelope->id() || one.event.payload != r.envelope->payload().dump()))
        std::abort();
    (void)rbus::json_depth(raw);
    (void)rbus::is_valid_utf8(raw);
    if (!r.ok()) {
        if (r.error.empty()) std::abort();  // an invalid message always says why
        return 0;
    }
    const rbus::Envelope& e = *r.envelope;
    (void)e.id();
    (void)e.type();
    (void)e.priority();
    (void)e.request_id();
    (void)e.timestamp();
    (void)e.payload();
    std::string out = e.dump();
    rbus::ReadResult again = rbus::read_envelope(out);
    if (!again.ok()) std::abort();  // a normalised envelope reads back
    return 0;
}
