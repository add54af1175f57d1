// Small builders shared by the envelope unit tests.
#pragma once

#include <string>
#include <vector>

#include "envelope.h"

namespace rbus::testing {

inline constexpr const char* kFixedTimestamp = "2026-11-26T16:10:30.237319Z";

// Fields for Envelope::create: a type and a payload, nothing else.
inline EnvelopeFields fields(std::string type, Json payload = Json::object()) {
    EnvelopeFields f;
    f.type = std::move(type);
    f.payload = std::move(payload);
    return f;
}

// The keys of an object, in order.
inline std::vector<std::string> keys(const Json& j) {
    std::vector<std::string> out;
    for (auto it = j.begin(); it != j.end(); ++it) out.push_back(it.key());
    return out;
}

}  // namespace rbus::testing
