// {{seq}}, {{uuid}} and {{now}} in the string values of a payload, for
// rbus-publish --count: the payload is scanned once into a template, and each
// repeat only fills in the strings that hold a placeholder.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "event/envelope.h"

namespace rbus {

// What one repeat fills in. {{uuid}} and {{now}} have one value per repeat, so two
// {{uuid}} in the same payload are equal.
struct PlaceholderValues {
    std::uint64_t seq = 1;  // counts from 1
    std::string uuid;       // a UUID v4
    std::string now;        // RFC 3339 UTC with microseconds and Z
};

class PayloadTemplate {
public:
    // Keys are never expanded, and text such as {{other}} stays as written.
    explicit PayloadTemplate(Json payload);

    bool has_placeholders() const { return !slots_.empty(); }
    bool uses_uuid() const { return uses_uuid_; }
    bool uses_now() const { return uses_now_; }

    // The payload with every placeholder replaced.
    Json render(const PlaceholderValues& values) const;
    // The same with a fresh UUID v4 and the current time (only those used are made).
    Json render(std::uint64_t seq) const;

private:
    enum class Part { text, seq, uuid, now };
    struct Piece {
        Part part;
        std::string text;  // for Part::text
    };
    struct Slot {
        Json::json_pointer where;
        std::vector<Piece> pieces;
    };
    void scan(const Json& node, const Json::json_pointer& where);

    Json payload_;
    std::vector<Slot> slots_;
    bool uses_uuid_ = false, uses_now_ = false;
};

}  // namespace rbus
