#include "redis/url.h"

#include <fmt/format.h>

#include "base/error.h"
#include "base/hex.h"
#include "base/text.h"

namespace rbus {

// RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
bool valid_url_scheme(std::string_view s) {
    if (s.empty() || !is_alpha(s[0])) return false;
    for (char c : s)
        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
    return true;
}

namespace {

[[noreturn]] void fail(std::string_view raw, std::string_view why) {
    throw UsageError(fmt::format("invalid URL \"{}\": {}", redact_url(raw), why));
}

std::string percent_decode(std::string_view s, std::string_view raw, std::string_view what) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
            fail(raw, fmt::format("malformed percent-encoding in the {} (write % as %25)", what));
        out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
        i += 2;
    }
    for (char c : out)
        if (is_control(c)) fail(raw, fmt::format("the {} contains a control character", what));
    return out;
}

void parse_userinfo(std::string_view userinfo, RedisUrl& url, std::string_view raw) {
    std::size_t colon = userinfo.find(':');
    std::string_view user = userinfo.substr(0, colon);
    if (user.find_first_of("/?#") != npos)
        fail(raw, "the user name contains /, ? or #: percent-encode it (e.g. %2F)");
    if (colon == npos) {
        // As redis-cli reads it: redis://secret@host is a password.
        url.password = percent_decode(userinfo, raw, "password");
        url.lone_userinfo = !url.password.empty();
        return;
    }
    url.username = percent_decode(user, raw, "user name");
    url.password = percent_decode(userinfo.substr(colon + 1), raw, "password");
}

int parse_db(std::string_view text, std::string_view raw) {
    if (!all_digits(text) || text.size() > 9)
        fail(raw, "the database must be a number from 0 to 999999999, e.g. redis://host:6379/0");
    int db = 0;
    for (char c : text) db = db * 10 + (c - '0');
    return db;
}

// q excludes the '?'. Only db=N is known.
void parse_query(std::string_view q, RedisUrl& url, bool db_in_path, std::string_view raw) {
    bool seen_db = db_in_path;
    std::size_t start = 0;
    while (true) {
        std::size_t amp = q.find('&', start);
        std::string_view param = q.substr(start, amp == npos ? npos : amp - start);
        std::size_t eq = param.find('=');
        if (param.empty()) fail(raw, "empty query parameter");
        if (eq == npos) fail(raw, "query parameter without a value: only ?db=N is accepted");
        std::string_view name = param.substr(0, eq);
        if (name != "db")
            fail(raw, fmt::format("unsupported query parameter \"{}\": only ?db=N is accepted",
                                  escape_controls(name)));
        if (seen_db) fail(raw, "the database is given twice");
        seen_db = true;
        url.db = parse_db(param.substr(eq + 1), raw);
        if (amp == npos) break;
        start = amp + 1;
    }
}

bool valid_hostname(std::string_view h) {
    for (char c : h)
        if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.' && c != '_') return false;
    return true;
}

bool valid_ipv6(std::string_view h) {
    if (h.find(':') == npos) return false;
    for (char c : h)
        if (!is_hex(c) && c != ':' && c != '.') return false;
    return true;
}

HostPort parse_host_port(std::string_view hp, uint16_t default_port, std::string_view raw) {
    HostPort out;
    out.port = default_port;
    if (hp.empty()) fail(raw, "missing host, e.g. redis://localhost:6379");
    std::string_view port_text;
    bool has_port = false;
    if (hp[0] == '[') {
        std::size_t close = hp.find(']');
        if (close == npos) fail(raw, "missing ] after the IPv6 address, e.g. redis://[::1]:6379");
        std::string_view host = hp.substr(1, close - 1);
        if (host.empty()) fail(raw, "empty IPv6 address in []");
        if (!valid_ipv6(host)) fail(raw, "invalid IPv6 address in []");
        out.host = std::string(host);
        std::string_view rest = hp.substr(close + 1);
        if (!rest.empty()) {
            if (rest[0] != ':') fail(raw, "unexpected text after the IPv6 address: expected :port");
            has_port = true;
            port_text = rest.substr(1);
        }
    } else {
        std::size_t colon = hp.find(':');
        if (colon != npos && hp.find(':', colon + 1) != npos)
            fail(raw, "an IPv6 address must be in brackets, e.g. redis://[::1]:6379");
        std::string_view host = hp.substr(0, colon);
        if (host.empty()) fail(raw, "missing host, e.g. redis://localhost:6379");
        if (!valid_hostname(host)) fail(raw, "invalid character in the host name");
        out.host = std::string(host);
        if (colon != npos) {
            has_port = true;
            port_text = hp.substr(colon + 1);
        }
    }
    if (has_port) {
        if (port_text.empty()) fail(raw, "empty port after ':'");
        int p = 0;
        if (all_digits(port_text) && port_text.size() <= 5)
            for (char c : port_text) p = p * 10 + (c - '0');
        if (p < 1 || p > 65535) fail(raw, "the port must be a number from 1 to 65535");
        out.port = static_cast<uint16_t>(p);
    }
    return out;
}

RedisUrl parse_unix(std::string_view text, std::string_view rest) {
    RedisUrl url;
    url.scheme = UrlScheme::unix_socket;
    if (rest.empty() || rest[0] != '/') {
        std::size_t at = rest.find("@/");
        if (at == npos) fail(text, "a unix socket URL needs an absolute path: unix:///path/to.sock");
        parse_userinfo(rest.substr(0, at), url, text);
        rest = rest.substr(at + 1);
    }
    if (rest.find('#') != npos) fail(text, "fragments (#…) are not supported");
    std::size_t q = rest.find('?');
    std::string_view path = rest.substr(0, q);
    url.socket_path = percent_decode(path, text, "socket path");
    if (url.socket_path.size() < 2 || url.socket_path.back() == '/')
        fail(text, "a unix socket URL needs the socket's path: unix:///path/to.sock");
    if (q != npos) parse_query(rest.substr(q + 1), url, false, text);
    return url;
}

}  // namespace

RedisUrl parse_url(std::string_view text) {
    if (text.empty()) throw UsageError("empty URL: use e.g. redis://127.0.0.1:6379");
    for (char c : text)
        if (is_control(c)) fail(text, "contains a control character");
    if (text.find(' ') != npos) fail(text, "contains a space");

    std::size_t sep = text.find("://");
    if (sep == npos || !valid_url_scheme(text.substr(0, sep))) {
        if (ascii_lower(text.substr(0, 5)) == "unix:") fail(text, "write unix:///path/to.sock (three slashes)");
        // host[:port] as CI services and docker-compose write it (redis:6379).
        if (sep == npos && text.find('@') == npos && (is_alpha(text[0]) || is_digit(text[0]) || text[0] == '['))
            return parse_url("redis://" + std::string(text));
        fail(text, "missing the scheme, e.g. redis://localhost:6379");
    }
    std::string_view scheme_text = text.substr(0, sep);
    std::string scheme = ascii_lower(scheme_text);
    std::string_view rest = text.substr(sep + 3);

    if (scheme == "https" || scheme == "http")
        throw UsageError(fmt::format(
            "REST URL \"{}\" is not supported: use the rediss:// endpoint of your Upstash database",
            redact_url(text)));
    if (scheme == "unix") return parse_unix(text, rest);

    RedisUrl url;
    uint16_t default_port = 6379;
    if (scheme == "redis") {
        url.scheme = UrlScheme::redis;
    } else if (scheme == "rediss") {
        url.scheme = UrlScheme::rediss;
    } else if (scheme == "redis+sentinel" || scheme == "rediss+sentinel") {
        url.scheme = UrlScheme::sentinel;
        url.sentinel_tls = scheme == "rediss+sentinel";
        default_port = 26379;
    } else {
        throw UsageError(fmt::format(
            "unsupported URL scheme \"{}\" in \"{}\": use redis://, rediss://, unix:// or redis+sentinel://",
            scheme_text, redact_url(text)));
    }

    // The userinfo ends at the last '@', so a raw @ (or / ? #) in the password works.
    std::size_t at = rest.rfind('@');
    if (at != npos) {
        parse_userinfo(rest.substr(0, at), url, text);
        rest = rest.substr(at + 1);
    }
    if (rest.find('#') != npos) fail(text, "fragments (#…) are not supported");
    std::size_t q = rest.find('?');
    std::string_view query = q == npos ? std::string_view() : rest.substr(q + 1);
    rest = rest.substr(0, q);
    std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == npos ? std::string_view() : rest.substr(slash + 1);

    if (authority.empty()) fail(text, "missing host, e.g. redis://localhost:6379");
    for (std::string_view host : split(authority, ','))
        url.hosts.push_back(parse_host_port(host, default_port, text));

    bool db_in_path = false;
    if (url.scheme == UrlScheme::sentinel) {
        std::size_t s2 = path.find('/');
        std::string_view master = path.substr(0, s2);
        if (master.empty())
            fail(text, "a sentinel URL needs the master name, e.g. redis+sentinel://host:26379/mymaster");
        url.sentinel_master = std::string(master);
        if (s2 != npos) {
            url.db = parse_db(path.substr(s2 + 1), text);
            db_in_path = true;
        }
    } else if (!path.empty()) {
        url.db = parse_db(path, text);
        db_in_path = true;
    }
    if (q != npos) parse_query(query, url, db_in_path, text);
    if (url.is_cluster_seeds() && url.db != 0) fail(text, "a Redis Cluster has only database 0");
    return url;
}

}  // namespace rbus
