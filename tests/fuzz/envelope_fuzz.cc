// libFuzzer target: read_envelope must never throw or crash, whatever the bytes,
// and what it accepts must dump and read back as a valid envelope. What the fast
// path (scan_canonical) passes through as it is must be exactly what the full
// read and dump print.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "canonical.h"
#include "envelope.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view raw(reinterpret_cast<const char*>(data), size);
    rbus::ReadResult r = rbus::read_envelope(raw);
    rbus::CanonicalEnvelope canonical;
    const bool fast = rbus::scan_canonical(raw, canonical);
    if (fast && (!r.ok() || r.envelope->dump() != raw)) std::abort();
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
