// One message as the bus delivers it (SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE): views
// into the reader's buffer, valid until the next read.
#pragma once

#include <string_view>

namespace rbus {

struct BusMessage {
    std::string_view channel;
    std::string_view data;
    std::string_view pattern;  // empty for a plain SUBSCRIBE
};

}  // namespace rbus
