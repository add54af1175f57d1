#include "redis/cluster_hosts.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "base/error.h"
#include "base/log.h"
#include "base/text.h"
#include "redis/url.h"

namespace rbus {
namespace {

// The address of an IP literal, or family 0.
int parse_address(const std::string& text, std::array<std::uint8_t, 16>& out) {
    out.fill(0);
    if (::inet_pton(AF_INET, text.c_str(), out.data()) == 1) return AF_INET;
    if (::inet_pton(AF_INET6, text.c_str(), out.data()) == 1) return AF_INET6;
    return 0;
}

bool prefix_matches(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b, int bits) {
    int full = bits / 8, rest = bits % 8;
    if (std::memcmp(a.data(), b.data(), static_cast<std::size_t>(full)) != 0) return false;
    if (rest == 0) return true;
    auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (a[static_cast<std::size_t>(full)] & mask) == (b[static_cast<std::size_t>(full)] & mask);
}

std::string host_port_name(const HostPort& n) {
    return n.host.find(':') != std::string::npos ? fmt::format("[{}]:{}", n.host, n.port)
                                                 : fmt::format("{}:{}", n.host, n.port);
}

}  // namespace

HostAllowList HostAllowList::parse(std::string_view text) {
    HostAllowList list;
    list.text_ = std::string(text);
    for (std::string_view entry : split(text, ',')) {
        auto bad = [&](std::string_view why) {
            return UsageError(fmt::format("invalid --cluster-hosts entry {}: {}", json_quoted(entry), why));
        };
        if (entry.empty()) throw bad("empty (write CIDR or HOST, separated by commas)");
        Rule r;
        std::size_t slash = entry.find('/');
        std::string addr(entry.substr(0, slash));
        r.family = parse_address(addr, r.addr);
        int bits = r.family == AF_INET ? 32 : 128;
        r.prefix = bits;
        if (slash != npos) {
            if (r.family == 0) throw bad("a /prefix needs an IP address");
            std::string_view p = entry.substr(slash + 1);
            int n = -1;
            auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
            if (!all_digits(p) || ec != std::errc() || end != p.data() + p.size() || n < 0 || n > bits)
                throw bad(fmt::format("the prefix must be 0 to {}", bits));
            r.prefix = n;
        } else if (r.family == 0) {
            for (char c : entry)
                if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_'))
                    throw bad("not an IP address, a CIDR or a host name");
            r.name = ascii_lower(entry);
        }
        list.rules_.push_back(std::move(r));
    }
    return list;
}

bool HostAllowList::allows(std::string_view host) const {
    std::array<std::uint8_t, 16> addr{};
    int family = parse_address(std::string(host), addr);
    std::string lowered = ascii_lower(host);
    for (const Rule& r : rules_) {
        if (!r.name.empty() ? r.name == lowered : r.family == family && prefix_matches(r.addr, addr, r.prefix))
            return true;
    }
    return false;
}

void check_credentials_target(const HostAllowList& allowed, const std::vector<HostPort>& url_hosts,
                              const HostPort& node, std::string_view named_by) {
    if (node.host.empty()) return;  // the URL's own Unix socket
    for (const HostPort& h : url_hosts)
        if (h.port == node.port && ascii_lower(h.host) == ascii_lower(node.host)) return;
    std::string name = host_port_name(node);
    static std::set<std::string> logged;  // one line per node and process, not per reconnect
    if (logged.insert(name).second)
        logger().info("{} named by {}: connecting there with the URL's credentials", name, named_by);
    if (allowed.empty() || allowed.allows(node.host)) return;
    throw ConnectError(fmt::format("refusing to send credentials to {} (named by {}): not in --cluster-hosts {}",
                                   name, named_by, allowed.text()));
}

}  // namespace rbus
