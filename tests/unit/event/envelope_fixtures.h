// Small builders shared by the envelope unit tests.
#pragma once

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "event/envelope.h"
#include "event/event_read.h"

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

// An envelope as consumers see a received one (event_read.h): its normalised
// text and fields. Not copied or moved: the fields point into it.
class ReadView {
public:
    explicit ReadView(const Envelope& e) : text_(e.dump()) { REQUIRE(index_envelope_text(text_, view_, storage_)); }
    ReadView(const ReadView&) = delete;
    ReadView& operator=(const ReadView&) = delete;
    operator const EventView&() const { return view_; }  // NOLINT(google-explicit-constructor)
    const EventView& view() const { return view_; }

private:
    std::string text_, storage_;
    EventView view_;
};

}  // namespace rbus::testing
