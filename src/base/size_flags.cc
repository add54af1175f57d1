#include "base/size_flags.h"

#include <charconv>
#include <optional>

#include <fmt/format.h>

#include "base/error.h"
#include "base/text.h"

namespace rbus {
namespace {

constexpr std::uint64_t kMaxCount = std::uint64_t{1} << 63;  // values below it
constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 40;

// A non-negative decimal, or nothing when the text is not one or overflows.
std::optional<std::uint64_t> decimal(std::string_view text) {
    if (!all_digits(text)) return std::nullopt;
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
}

}  // namespace

std::size_t parse_max_bytes(std::string_view text) {
    auto v = decimal(text);
    if (!v || *v == 0 || *v > kMaxBytes)
        throw UsageError(fmt::format("invalid --max-bytes {}: a number of bytes from 1 to {}", json_quoted(text),
                                     kMaxBytes));
    return static_cast<std::size_t>(*v);
}

std::uint64_t parse_count(std::string_view flag, std::string_view text) {
    auto v = decimal(text);
    if (!v || *v >= kMaxCount)
        throw UsageError(fmt::format("invalid {} {}: a whole number from 0 to {}", flag, json_quoted(text),
                                     kMaxCount - 1));
    return *v;
}

}  // namespace rbus
