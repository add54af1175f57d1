// The size of one RESP2 reply as its bytes arrive, without building it: for
// large replies (a page of 1,000 stream entries) that the caller reads in
// place rather than through hiredis's reply objects.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace rbus {

class FrameMeter {
public:
    // `buf` holds the frame's bytes from its first, more of them at each call
    // (what was measured before is not walked again). Returns the frame's size
    // once it is whole, 0 until then. Throws ProtocolError when the bytes are
    // not RESP2.
    std::size_t measure(std::string_view buf);
    // For the next frame.
    void reset() { *this = FrameMeter(); }

private:
    std::size_t pos_ = 0;       // the next element's header
    std::int64_t pending_ = 1;  // elements still to read (arrays add theirs)
};

}  // namespace rbus
