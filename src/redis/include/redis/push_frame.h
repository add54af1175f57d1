// RESP frames as a subscriber receives them, read straight from the input
// buffer: a pub/sub push (`*3\r\n$7\r\nmessage\r\n…`, `*4\r\n$8\r\npmessage\r\n…`)
// becomes spans of that buffer with no allocation; any other frame
// (confirmations, PONG, errors) is only measured, so that its exact bytes can
// be handed to hiredis's reader.
#pragma once

#include <cstddef>
#include <string_view>

namespace rbus {

struct PushFrame {
    enum class Kind {
        incomplete,  // the buffer ends inside the frame: read more
        message,     // channel and data set (and pattern for a pmessage)
        other,       // a whole frame of another kind, `size` bytes long
        malformed,   // not RESP2: let hiredis's reader report it
    };
    Kind kind = Kind::incomplete;
    std::size_t size = 0;  // bytes of the frame (message and other)
    // incomplete: the bytes the frame takes at least, as its length headers
    // read so far say (a "$9999999999" says so before its body arrives), or 0.
    std::size_t needed = 0;
    std::string_view channel, data, pattern;
};

// Looks at the frame that starts at buf[0].
PushFrame next_push_frame(std::string_view buf);

}  // namespace rbus
