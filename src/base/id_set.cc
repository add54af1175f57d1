#include "base/id_set.h"

#include <functional>

namespace rbus {

std::uint64_t IdSet::hash(std::string_view id) { return std::hash<std::string_view>{}(id); }

std::size_t IdSet::find(std::string_view id, std::uint64_t h) const {
    const std::size_t mask = slots_.size() - 1;
    const std::uint64_t fingerprint = h & kFingerprint;
    for (std::size_t at = h & mask;; at = (at + 1) & mask) {
        std::uint64_t s = slots_[at];
        if (s == 0) return at;
        if ((s & kFingerprint) == fingerprint && ids_[(s & ~kFingerprint) - 1] == id) return at;
    }
}

bool IdSet::contains(std::string_view id) const {
    return !slots_.empty() && slots_[find(id, hash(id))] != 0;
}

void IdSet::grow(std::size_t at_least) {
    std::size_t n = 16;
    while (n < at_least) n *= 2;
    slots_.assign(n, 0);
    const std::size_t mask = n - 1;
    for (std::size_t i = 0; i < ids_.size(); ++i) {
        std::uint64_t h = hash(ids_[i]);
        std::size_t at = h & mask;
        while (slots_[at] != 0) at = (at + 1) & mask;
        slots_[at] = (h & kFingerprint) | (i + 1);
    }
}

}  // namespace rbus
