// Reading Redis Stream replies (XRANGE, XREADGROUP, XAUTOCLAIM) without
// copying: entries as views into the reply, which must outlive them.
#pragma once

#include <hiredis/hiredis.h>

#include <string_view>
#include <vector>

namespace rbus {

struct StreamEntry {
    std::string_view id;
    const redisReply* fields = nullptr;  // [field, value, ...]; nullptr: the entry was deleted
    // The value of a field, or "" when absent.
    std::string_view field(std::string_view name) const;
    std::string_view envelope() const { return field("envelope"); }
};

// An array of entries, [[id, [field, value, ...]], ...], appended to `out`.
// Throws ProtocolError on any other shape (`what` names the command).
void parse_entries(const redisReply* array, std::vector<StreamEntry>& out, std::string_view what);

// XREADGROUP / XREAD: [[key, entries], ...] (nil: nothing), each stream's
// entries appended with its key.
struct KeyedEntry {
    std::string_view key;
    StreamEntry entry;
};
void parse_read_reply(const redisReply* reply, std::vector<KeyedEntry>& out, std::string_view what);

}  // namespace rbus
