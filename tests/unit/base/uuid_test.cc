#include "base/uuid.h"

#include <set>
#include <string>

#include <doctest/doctest.h>

using namespace rbus;

namespace {

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

void check_shape(const std::string& id, char version) {
    REQUIRE(id.size() == 36);
    for (std::size_t i = 0; i < id.size(); ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23) CHECK(id[i] == '-');
        else CHECK(is_lower_hex(id[i]));
    }
    CHECK(id[14] == version);
    CHECK(std::string("89ab").find(id[19]) != std::string::npos);  // RFC 4122 variant
    CHECK(is_uuid(id));
}

}  // namespace

TEST_CASE("uuid_v4: lowercase 8-4-4-4-12, version 4, RFC 4122 variant") {
    for (int i = 0; i < 200; ++i) check_shape(uuid_v4(), '4');
}

TEST_CASE("uuid_v4: no repeats in 20,000") {
    std::set<std::string> seen;
    for (int i = 0; i < 20000; ++i) seen.insert(uuid_v4());
    CHECK(seen.size() == 20000);
}

TEST_CASE("uuid_v5: matches RFC 4122 / Python's uuid.uuid5") {
    // uuid.uuid5(uuid.NAMESPACE_DNS, "python.org") and uuid.uuid5(uuid.NAMESPACE_URL, "hello")
    CHECK(uuid_v5("python.org", "6ba7b810-9dad-11d1-80b4-00c04fd430c8") == "886313e1-3b8a-5372-9b90-0c9aee199e5d");
    CHECK(uuid_v5("hello") == "074171de-bc84-5ea4-b636-1135477620e1");
    CHECK(kRbusNamespace == "6ba7b811-9dad-11d1-80b4-00c04fd430c8");
}

TEST_CASE("uuid_v5: stable for the same bytes, different for different bytes") {
    const std::string raw = R"({"event_type":"workflow.completed"})";
    CHECK(uuid_v5(raw) == uuid_v5(raw));
    CHECK(uuid_v5(raw) == "9928d4e1-d425-5b1f-bbbd-97219eb550dc");
    CHECK(uuid_v5(raw) != uuid_v5(raw + " "));
    check_shape(uuid_v5(raw), '5');
    check_shape(uuid_v5(""), '5');
    CHECK(uuid_v5(std::string("a\0b", 3)) != uuid_v5("a"));  // binary-safe
    CHECK(uuid_v5("hello", "6BA7B811-9DAD-11D1-80B4-00C04FD430C8") == uuid_v5("hello"));
    CHECK_THROWS(uuid_v5("hello", "not-a-uuid"));
    // The namespace is read once per change: switching back and forth, and a bad
    // one after a good one (or first of all, or empty), each still counts.
    CHECK(uuid_v5("python.org", "6ba7b810-9dad-11d1-80b4-00c04fd430c8") == "886313e1-3b8a-5372-9b90-0c9aee199e5d");
    CHECK(uuid_v5("hello") == "074171de-bc84-5ea4-b636-1135477620e1");
    CHECK_THROWS(uuid_v5("hello", ""));
    CHECK_THROWS(uuid_v5("hello", ""));
    CHECK(uuid_v5("python.org", "6ba7b810-9dad-11d1-80b4-00c04fd430c8") == "886313e1-3b8a-5372-9b90-0c9aee199e5d");
    CHECK_THROWS(uuid_v5("hello", "6ba7b810-9dad-11d1-80b4-00c04fd430cX"));
    CHECK(uuid_v5("hello") == "074171de-bc84-5ea4-b636-1135477620e1");
}

TEST_CASE("is_uuid") {
    CHECK(is_uuid("6ba7b811-9dad-11d1-80b4-00c04fd430c8"));
    CHECK(is_uuid("6BA7B811-9DAD-11D1-80B4-00C04FD430C8"));
    CHECK_FALSE(is_uuid(""));
    CHECK_FALSE(is_uuid("6ba7b8119dad11d180b400c04fd430c8"));       // no dashes
    CHECK_FALSE(is_uuid("6ba7b811-9dad-11d1-80b4-00c04fd430c"));     // short
    CHECK_FALSE(is_uuid("6ba7b811-9dad-11d1-80b4-00c04fd430c8a"));   // long
    CHECK_FALSE(is_uuid("6ba7b811-9dad-11d1-80b4-00c04fd430g8"));    // not hex
    CHECK_FALSE(is_uuid("6ba7b811-9dad-11d1-80b400-c04fd430c8"));    // dash misplaced
    CHECK_FALSE(is_uuid("{ba7b811-9dad-11d1-80b4-00c04fd430c8}"));
}

TEST_CASE("UuidV4Generator: version 4 ids, distinct, deterministic for a seed") {
    UuidV4Generator gen;
    std::set<std::string> seen;
    for (int i = 0; i < 2000; ++i) {
        std::string id = gen.next();
        check_shape(id, '4');
        seen.insert(id);
    }
    CHECK(seen.size() == 2000);
    UuidV4Generator a(42), b(42), c(43);
    std::string first = a.next();
    CHECK(first == b.next());
    CHECK(first != c.next());
}
