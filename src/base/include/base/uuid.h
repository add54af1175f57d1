// Event ids: UUID v4 for new events, v5 (SHA-1) of the raw bytes for
// messages that arrive without one, so every reader derives the same id.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rbus {

// The namespace of rbus's v5 ids. It is RFC 4122's URL namespace, fixed for good:
// changing it would change the id every reader derives for an id-less message.
inline constexpr std::string_view kRbusNamespace = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";

// A random (version 4) UUID: lowercase, 36 characters.
std::string uuid_v4();

// Many UUID v4s, fast (batches): xoshiro256** seeded once from std::random_device,
// without a std::string per id. uuid_v4() draws from one per thread. Not for secrets.
class UuidV4Generator {
public:
    UuidV4Generator();
    explicit UuidV4Generator(std::uint64_t seed);  // deterministic, for tests
    // Writes the 36 characters of a new id (no terminating NUL).
    void next(char* out);
    std::string next();

private:
    std::uint64_t word();
    std::uint64_t s_[4];
};

// A name-based (version 5, SHA-1) UUID of `name` in namespace `ns`, which must
// satisfy is_uuid(). Deterministic: the same bytes always give the same id.
std::string uuid_v5(std::string_view name, std::string_view ns = kRbusNamespace);

// 8-4-4-4-12 hex digits (either case) with dashes; version and variant are not checked.
bool is_uuid(std::string_view s);

}  // namespace rbus
