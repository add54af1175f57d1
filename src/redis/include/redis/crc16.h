// Redis Cluster hash slots, computed locally: CRC16-XMODEM (polynomial
// 0x1021, initial value 0) of the key, or of its {hashtag}, modulo 16384.
#pragma once

#include <cstdint>
#include <string_view>

namespace rbus {

inline constexpr int kClusterSlots = 16384;

// CRC16-XMODEM, the checksum Redis Cluster uses: crc16("123456789") == 0x31C3.
std::uint16_t crc16(std::string_view data);

// The slot of a key or a shard channel. When the name holds a '{' followed
// later by a '}' with at least one character between them, only the text
// between the first '{' and the next '}' is hashed ("{user1000}.following"
// and "{user1000}.followers" share a slot); "{}" and an unclosed '{' hash the
// whole name.
int hash_slot(std::string_view key);
// The part of `key` that hash_slot hashes: its hash tag, else the whole name.
// A key named "...{" + hashed_part(k) + "}..." shares k's slot whenever that
// part holds no '}' (a hash tag never does).
std::string_view hashed_part(std::string_view key);

}  // namespace rbus
