// CRC16 and Redis Cluster hash slots. Expected slots are what a Redis 7.0
// cluster node answers to CLUSTER KEYSLOT; checksums agree with Python's
// binascii.crc_hqx(data, 0) (CRC16-XMODEM).
#include <doctest/doctest.h>

#include <string>

#include "redis/crc16.h"

using rbus::crc16;
using rbus::hash_slot;
using rbus::hashed_part;
using rbus::kClusterSlots;

TEST_CASE("crc16 is CRC16-XMODEM, the check value of the Redis Cluster spec") {
    CHECK(crc16("123456789") == 0x31C3);
    CHECK(crc16("") == 0);
    // Bytes above 0x7f count as unsigned, and a NUL byte is data, not an end.
    CHECK(crc16("\xc3\xa9v\xc3\xa9nement") == 0x72CF);
    CHECK(crc16(std::string("a\0b", 3)) == 0xE0BF);
}

TEST_CASE("hash_slot matches CLUSTER KEYSLOT for plain keys") {
    CHECK(kClusterSlots == 16384);
    CHECK(hash_slot("foo") == 12182);
    CHECK(hash_slot("bar") == 5061);
    CHECK(hash_slot("user1000") == 3443);
    CHECK(hash_slot("123456789") == 0x31C3 % 16384);
    CHECK(hash_slot("raptorflow.events.agent.task_started") == 16231);
    CHECK(hash_slot("") == 0);
}

TEST_CASE("a {hash tag} hashes only the text between the first { and the next }") {
    CHECK(hash_slot("{user1000}.following") == hash_slot("{user1000}.followers"));
    CHECK(hash_slot("{user1000}.following") == hash_slot("user1000"));
    CHECK(hash_slot("{user1000}.following") == 3443);
    CHECK(hash_slot("foo{bar}{zap}") == hash_slot("bar"));  // the first tag only
    CHECK(hash_slot("foo{bar}{zap}") == 5061);
    CHECK(hash_slot("a{b}") == hash_slot("b"));
    CHECK(hash_slot("a{b}") == 3300);
    CHECK(hash_slot("foo}{bar}") == 5061);  // a } before the first { does not close it
}

TEST_CASE("an empty or unclosed tag hashes the whole key; a second { is tag text") {
    // "{}" first: the whole key, the later "{bar}" is not looked at.
    CHECK(hash_slot("foo{}{bar}") == crc16("foo{}{bar}") % 16384);
    CHECK(hash_slot("foo{}{bar}") == 8363);
    CHECK(hash_slot("{}") == 15257);
    // From the first { to the first } after it: the tag is "{bar".
    CHECK(hash_slot("foo{{bar}}zap") == hash_slot("{bar"));
    CHECK(hash_slot("foo{{bar}}zap") == 4015);
    CHECK(hash_slot("{bar") == 4015);  // unclosed: the whole key
    CHECK(hash_slot("foo{") == 7673);
}

TEST_CASE("every slot is in [0, 16384)") {
    for (int i = 0; i < 2000; ++i) {
        int slot = hash_slot("key:" + std::to_string(i));
        REQUIRE(slot >= 0);
        REQUIRE(slot < kClusterSlots);
    }
}

TEST_CASE("hashed_part: the hash tag when there is one, else the whole name, as hash_slot hashes") {
    CHECK(hashed_part("rbus:history:{raptorflow.events.a}") == "raptorflow.events.a");
    CHECK(hashed_part("{user1000}.following") == "user1000");
    CHECK(hashed_part("foo{}{bar}") == "foo{}{bar}");  // "{}": the whole name
    CHECK(hashed_part("foo{bar") == "foo{bar");        // unclosed
    CHECK(hashed_part("plain") == "plain");
    for (std::string_view key : {"a{b}c", "foo{}{bar}", "x{y", "{z}"})
        CHECK(hash_slot(key) == (crc16(hashed_part(key)) & (kClusterSlots - 1)));
}
