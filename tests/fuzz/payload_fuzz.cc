// libFuzzer target: HTTPie items and payload text. Input lines are items
// (files come from a fake reader, never the disk); the whole input is also
// tried as a payload object. Only UsageError may escape.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "event/payload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    const rbus::FileReader fake = [](const std::string& path) -> std::string {
        if (path.empty() || path[0] == 'x') throw rbus::UsageError("cannot read " + path);
        return path[0] == 'j' ? std::string(R"({"a":[1,2,{"b":null}]})") : path;
    };
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= text.size() && items.size() < 64) {
        std::size_t nl = text.find('\n', start);
        if (nl == std::string_view::npos) nl = text.size();
        items.emplace_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    try {
        rbus::Json obj = rbus::payload_from_args(items, fake);
        (void)obj.dump(-1, ' ', false, rbus::Json::error_handler_t::replace);
    } catch (const rbus::UsageError&) {
    }
    try {
        (void)rbus::parse_payload_object(text, "fuzz");
    } catch (const rbus::UsageError&) {
    }
    return 0;
}
