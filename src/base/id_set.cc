#include "base/id_set.h"

#include <cstring>
#include <functional>
#include <utility>

namespace rbus {

std::uint64_t IdSet::hash(std::string_view id) { return std::hash<std::string_view>{}(id); }

std::size_t IdSet::find(std::string_view id, std::uint64_t h) const {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t at = h & mask;; at = (at + 1) & mask) {
        const Slot& s = slots_[at];
        if (!s.data) return at;
        if (s.hash == h && s.size == id.size() && std::memcmp(s.data, id.data(), id.size()) == 0) return at;
    }
}

bool IdSet::contains(std::string_view id) const {
    return !slots_.empty() && slots_[find(id, hash(id))].data != nullptr;
}

void IdSet::grow(std::size_t at_least) {
    std::size_t n = 16;
    while (n < at_least) n *= 2;
    std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(n));
    const std::size_t mask = n - 1;
    for (const Slot& s : old) {
        if (!s.data) continue;
        std::size_t at = s.hash & mask;
        while (slots_[at].data) at = (at + 1) & mask;
        slots_[at] = s;
    }
}

}  // namespace rbus
