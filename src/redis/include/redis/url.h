// Redis URLs, parsed once into a type. The password is kept for AUTH and
// never printed: redacted() shows it as ***.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rbus {

struct HostPort {
    std::string host;  // IPv6 without brackets
    uint16_t port = 6379;
};

enum class UrlScheme { redis, rediss, unix_socket, sentinel };

struct RedisUrl {
    UrlScheme scheme = UrlScheme::redis;
    std::vector<HostPort> hosts;  // >=1 for tcp schemes; several: cluster seeds, or sentinels
    std::string socket_path;      // unix: absolute, percent-decoded
    std::string username;         // ACL user, percent-decoded, may be empty
    std::string password;         // percent-decoded, may be empty; never printed
    // redis://secret@host: a userinfo without ':' is the password, as
    // redis-cli reads it; when another source gives the password, the
    // context reads it as the user name instead (redis://alice@host with
    // --password-file).
    bool lone_userinfo = false;
    int db = 0;                   // /N for redis(s) and sentinel (/master/N); ?db=N anywhere
    std::string sentinel_master;  // redis+sentinel://h1,h2/master: required
    bool sentinel_tls = false;    // rediss+sentinel://

    bool tls() const { return scheme == UrlScheme::rediss || sentinel_tls; }
    bool is_cluster_seeds() const { return scheme != UrlScheme::sentinel && hosts.size() > 1; }
    // Canonical text, the password shown as ***: redis://user:***@host:6379/0,
    // redis://***@host:6379/0 (a password without a user),
    // redis://[::1]:6380/0, unix:///run/redis.sock?db=2,
    // redis+sentinel://s1:26379,s2:26379/mymaster. No password, no ***.
    std::string redacted() const;
};

// redis://[user[:pass]@]host[:port][,host2[:port2]…][/db][?db=N]
// rediss://…                       TLS
// unix://[user[:pass]@]/path/to.sock[?db=N]
// redis+sentinel://[user[:pass]@]h1[:26379],h2…/master[/db]   (rediss+sentinel: TLS)
// User and password are percent-decoded; a raw @ in the password is fine
// (userinfo ends at the last @). A userinfo without ':' is the password.
// A bare host[:port] (REDIS_URL=localhost:6379, as CI services write it)
// reads as redis://host[:port]. Throws UsageError with a one-line message
// that shows the URL redacted and never contains the password.
RedisUrl parse_url(std::string_view text);

// Best-effort redaction of a raw URL text that may not parse, for error
// messages: the password (after "user:") up to the last @ becomes ***, a
// userinfo without ':' becomes *** entirely, a non-numeric "port" (a host
// forgotten after user:secret) and what follows become ***, query values
// other than db become ***, and control characters are escaped (\xNN).
std::string redact_url(std::string_view raw);

// RFC 3986 scheme syntax: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
bool valid_url_scheme(std::string_view s);

}  // namespace rbus
