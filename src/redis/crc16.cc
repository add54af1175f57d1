#include "redis/crc16.h"

#include <array>

namespace rbus {
namespace {

constexpr std::array<std::uint16_t, 256> make_table() {
    std::array<std::uint16_t, 256> table{};
    for (unsigned i = 0; i < 256; ++i) {
        auto crc = static_cast<std::uint16_t>(i << 8);
        for (int bit = 0; bit < 8; ++bit)
            crc = static_cast<std::uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
        table[i] = crc;
    }
    return table;
}

constexpr std::array<std::uint16_t, 256> kTable = make_table();

}  // namespace

std::uint16_t crc16(std::string_view data) {
    std::uint16_t crc = 0;
    for (char ch : data) {
        auto byte = static_cast<unsigned char>(ch);
        crc = static_cast<std::uint16_t>((crc << 8) ^ kTable[((crc >> 8) ^ byte) & 0xff]);
    }
    return crc;
}

std::string_view hashed_part(std::string_view key) {
    std::size_t open = key.find('{');
    if (open != std::string_view::npos) {
        std::size_t close = key.find('}', open + 1);
        if (close != std::string_view::npos && close > open + 1) return key.substr(open + 1, close - open - 1);
    }
    return key;
}

int hash_slot(std::string_view key) { return crc16(hashed_part(key)) & (kClusterSlots - 1); }

}  // namespace rbus
