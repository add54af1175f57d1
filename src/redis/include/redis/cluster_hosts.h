// --cluster-hosts CIDR|HOST,…: where credentials may follow the topology.
// A cluster's CLUSTER SLOTS, a MOVED or ASK reply, or a Sentinel names the
// nodes rbus connects to, and rbus sends the URL's credentials to each of them
// (as every cluster client does). With an allow-list, a node outside it (and
// outside the URL's own hosts) is refused before anything is sent to it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rbus {

struct HostPort;

class HostAllowList {
public:
    // "10.0.0.0/8,redis-*.internal,::1" is not a glob list: entries are IPv4 or
    // IPv6 addresses with an optional /prefix, or host names compared exactly
    // (case-insensitively). Throws UsageError naming the bad entry.
    static HostAllowList parse(std::string_view text);

    bool empty() const { return rules_.empty(); }
    bool allows(std::string_view host) const;
    const std::string& text() const { return text_; }

private:
    struct Rule {
        std::string name;                  // a host name, or empty for an address rule
        std::array<std::uint8_t, 16> addr{};
        int family = 0;                    // AF_INET or AF_INET6 for address rules
        int prefix = 0;                    // bits that must match
    };
    std::vector<Rule> rules_;
    std::string text_;
};

// Throws ConnectError ("refusing to send credentials to 10.0.0.9:7000 (named by
// CLUSTER SLOTS): not in --cluster-hosts …") when `node` is neither one of
// `url_hosts` nor allowed. Logs each newly named node once, at -v.
void check_credentials_target(const HostAllowList& allowed, const std::vector<HostPort>& url_hosts,
                              const HostPort& node, std::string_view named_by);

}  // namespace rbus
