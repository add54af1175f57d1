// A set of ids (event ids: short strings) for de-duplicating hundreds of
// thousands of events: open addressing over one flat array of 8-byte slots,
// so a lookup is one probe into memory that is already close instead of a
// walk through separately allocated nodes (std::unordered_set spent a third of a replay's
// CPU finding, rehashing and freeing its nodes). The bytes of each id are the
// caller's: they must stay where they are while the set holds them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace rbus {

class IdSet {
public:
    bool contains(std::string_view id) const;
    // Adds `id` unless it is there: then false. `keep(id)` gives the view the
    // set holds (bytes that stay put); it is called only for an id added.
    template <class Keep>
    bool insert(std::string_view id, Keep&& keep) {
        if ((ids_.size() + 1) * 2 > slots_.size()) grow((ids_.size() + 1) * 2);
        std::uint64_t h = hash(id);
        std::size_t at = find(id, h);
        if (slots_[at] != 0) return false;
        std::string_view kept = keep(id);
        ids_.emplace_back(kept.data() ? kept.data() : "", kept.size());  // "" too is an id
        slots_[at] = (h & kFingerprint) | ids_.size();
        return true;
    }
    bool insert(std::string_view id) {
        return insert(id, [](std::string_view v) { return v; });
    }
    // Room for n ids without growing.
    void reserve(std::size_t n) {
        if (n * 2 > slots_.size()) grow(n * 2);
        ids_.reserve(n);
    }
    std::size_t size() const { return ids_.size(); }
    // Asks the memory for the slot where `id` would be looked up (a set of
    // hundreds of thousands is past the caches): for an id that will be
    // inserted or looked for soon, while other work is done.
    void prefetch(std::string_view id) const {
        if (!slots_.empty()) __builtin_prefetch(&slots_[hash(id) & (slots_.size() - 1)]);
    }

private:
    // A slot: the hash's high 32 bits, then the id's place in ids_ plus one (0: empty).
    static constexpr std::uint64_t kFingerprint = 0xffffffff00000000ull;
    static std::uint64_t hash(std::string_view id);
    // The slot holding `id`, or the empty slot where it would go.
    std::size_t find(std::string_view id, std::uint64_t h) const;
    void grow(std::size_t at_least);

    std::vector<std::uint64_t> slots_;  // a power of two long, at most half full: 8 bytes an entry
    std::vector<std::string_view> ids_;  // in the order added
};

}  // namespace rbus
