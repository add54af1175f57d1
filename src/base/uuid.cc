#include "base/uuid.h"

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>

#include "base/hex.h"

namespace rbus {
namespace {

using Bytes = std::array<unsigned char, 16>;

constexpr bool is_dash_position(std::size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }

// "00" .. "ff": two characters per byte.
constexpr std::array<char, 512> kHexPairs = [] {
    std::array<char, 512> t{};
    constexpr char hex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < 256; ++i) {
        t[2 * i] = hex[i >> 4];
        t[2 * i + 1] = hex[i & 15];
    }
    return t;
}();

// A UUID's 16 bytes as two words: bytes 0-7 in `high`, 8-15 in `low`, byte 0
// (and byte 8) the lowest, so that a random id is just two random words.
struct Words {
    std::uint64_t high, low;
};

Words with_version(Words w, unsigned version) {
    w.high = (w.high & ~(0xF0ULL << 48)) | (static_cast<std::uint64_t>(version) << 52);  // byte 6
    w.low = (w.low & ~0xC0ULL) | 0x80ULL;  // byte 8: the RFC 4122 variant
    return w;
}

// The 36 characters of 8-4-4-4-12 (no NUL).
void write_text(Words w, char* out) {
    // Where the two hex digits of each byte go.
    static constexpr unsigned char kAt[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
    for (std::size_t i = 0; i < 8; ++i) {
        std::memcpy(out + kAt[i], &kHexPairs[2 * ((w.high >> (8 * i)) & 0xFF)], 2);
        std::memcpy(out + kAt[i + 8], &kHexPairs[2 * ((w.low >> (8 * i)) & 0xFF)], 2);
    }
    out[8] = out[13] = out[18] = out[23] = '-';
}

// Precondition: is_uuid(s).
Bytes from_text(std::string_view s) {
    Bytes b{};
    std::size_t k = 0;
    for (std::size_t i = 0; i < s.size(); i += 2) {
        if (s[i] == '-') ++i;
        b[k++] = static_cast<unsigned char>(hex_value(s[i]) * 16 + hex_value(s[i + 1]));
    }
    return b;
}

// SHA-1 through a per-thread context and a digest fetched once: OpenSSL 3's
// one-shot SHA1() fetches the algorithm on every call, which costs about twice
// as much, and would need namespace and name copied into one buffer.
class Sha1 {
public:
    Sha1() : md_(EVP_MD_fetch(nullptr, "SHA1", nullptr)), ctx_(EVP_MD_CTX_new()) {
        if (!md_ || !ctx_) throw std::runtime_error("OpenSSL: SHA-1 is unavailable");
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest(std::string_view a, std::string_view b) {
        std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
        unsigned int len = 0;
        if (EVP_DigestInit_ex2(ctx_.get(), md_.get(), nullptr) != 1 ||
            EVP_DigestUpdate(ctx_.get(), a.data(), a.size()) != 1 ||
            EVP_DigestUpdate(ctx_.get(), b.data(), b.size()) != 1 ||
            EVP_DigestFinal_ex(ctx_.get(), out.data(), &len) != 1)
            throw std::runtime_error("OpenSSL: SHA-1 failed");
        return out;
    }

private:
    struct MdFree {
        void operator()(EVP_MD* p) const { EVP_MD_free(p); }
    };
    struct CtxFree {
        void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
    };
    std::unique_ptr<EVP_MD, MdFree> md_;
    std::unique_ptr<EVP_MD_CTX, CtxFree> ctx_;
};

}  // namespace

std::string uuid_v4() {
    thread_local UuidV4Generator generator;
    return generator.next();
}

namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

UuidV4Generator::UuidV4Generator() {
    std::random_device rd;
    for (std::uint64_t& w : s_) w = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;  // the all-zero state is the one xoshiro cannot leave
}

UuidV4Generator::UuidV4Generator(std::uint64_t seed) {
    for (std::uint64_t& w : s_) w = splitmix64(seed);
}

std::uint64_t UuidV4Generator::word() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
}

void UuidV4Generator::next(char* out) {
    const std::uint64_t high = word();
    write_text(with_version({high, word()}, 4), out);
}

std::string UuidV4Generator::next() {
    std::string s(36, '-');
    next(s.data());
    return s;
}

std::string uuid_v5(std::string_view name, std::string_view ns) {
    thread_local Sha1 sha1;
    thread_local std::string last_ns;  // one namespace serves a whole run: read once
    thread_local Bytes ns_bytes{};
    thread_local bool have_ns = false;
    if (!have_ns || ns != last_ns) {
        have_ns = false;
        if (!is_uuid(ns)) throw std::invalid_argument("uuid_v5: the namespace is not a UUID");
        ns_bytes = from_text(ns);
        last_ns.assign(ns);
        have_ns = true;
    }
    const auto digest =
        sha1.digest({reinterpret_cast<const char*>(ns_bytes.data()), ns_bytes.size()}, name);
    Words w{0, 0};
    for (std::size_t i = 0; i < 8; ++i) {
        w.high |= static_cast<std::uint64_t>(digest[i]) << (8 * i);
        w.low |= static_cast<std::uint64_t>(digest[i + 8]) << (8 * i);
    }
    std::string text(36, '-');
    write_text(with_version(w, 5), text.data());
    return text;
}

bool is_uuid(std::string_view s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < 36; ++i) {
        if (is_dash_position(i) ? s[i] != '-' : hex_value(s[i]) < 0) return false;
    }
    return true;
}

}  // namespace rbus
