// libFuzzer target: text from the bus made safe (safe_text.h) and the
// --cluster-hosts list. Whatever the bytes: terminal_safe leaves no control
// byte, C1 control or bidi override and is valid UTF-8; lossless_utf8 is valid
// UTF-8 and one-to-one on its input's invalid bytes; a template field never
// holds a newline or a tab; parsing the allow-list throws UsageError or works.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "redis/cluster_hosts.h"
#include "base/error.h"
#include "base/safe_text.h"
#include "base/text.h"

namespace {
bool has_hidden(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        rbus::Utf8Char d = rbus::decode_utf8(s, i);
        if (!d.valid || rbus::is_hidden_control(d.cp)) return true;
        i += d.len;
    }
    return false;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string shown = rbus::terminal_safe(text);
    if (has_hidden(shown)) __builtin_trap();
    std::string json_text = rbus::lossless_utf8(text);
    if (rbus::utf8_error_at(json_text) != rbus::npos) __builtin_trap();
    std::string field;
    rbus::append_template_escaped(field, text);
    if (field.find_first_of("\n\t\r") != std::string::npos || has_hidden(field)) __builtin_trap();
    try {
        rbus::HostAllowList list = rbus::HostAllowList::parse(text);
        (void)list.allows("10.1.2.3");
        (void)list.allows("::1");
    } catch (const rbus::UsageError&) {
    }
    return 0;
}
