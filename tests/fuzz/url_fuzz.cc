// libFuzzer target: parse_url either returns a URL or throws UsageError, and its
// messages and redacted forms never contain the password.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/error.h"
#include "redis/url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)rbus::redact_url(text);
    try {
        rbus::RedisUrl u = rbus::parse_url(text);
        std::string shown = u.redacted();
        if (u.password.size() >= 4 && shown.find(u.password) != std::string::npos &&
            shown.find("***") == std::string::npos)
            std::abort();  // a password printed unredacted
        if (u.scheme != rbus::UrlScheme::unix_socket && u.hosts.empty()) std::abort();
    } catch (const rbus::UsageError&) {
    }
    return 0;
}
