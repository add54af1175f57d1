// An XRANGE reply read in place from its RESP bytes (Connection::read_frame):
// each entry's id and envelope as views of those bytes, with no reply object
// per element (a page of 1,000 entries is 5,000 of them built by read_reply).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace rbus {

struct FrameEntry {
    std::string_view id;
    std::string_view envelope;  // "" when the entry has no envelope field, or was deleted
};

// Appends the entries of the reply `frame` ([[id, [field, value, ...]], ...])
// to `out`. An error reply is returned as its text, `out` untouched. Throws
// ProtocolError on any other shape (`what` names the command).
std::optional<std::string_view> parse_entries_frame(std::string_view frame, std::vector<FrameEntry>& out,
                                                    std::string_view what);

}  // namespace rbus
