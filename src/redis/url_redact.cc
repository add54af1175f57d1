// Redaction: a URL as it may be shown in any message, with the password
// (and secrets in the query) replaced by ***, and control characters escaped.
#include <fmt/format.h>

#include "base/text.h"
#include "redis/url.h"

namespace rbus {

namespace {

// Keeps ALPHA DIGIT - . _ ~ and `keep`; %XX for the rest.
std::string percent_encode(std::string_view s, std::string_view keep) {
    std::string out;
    for (char c : s) {
        if (is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~' || keep.find(c) != npos)
            out += c;
        else
            out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
    return out;
}

// ?a=1&db=2 → ?a=***&db=2 (q excludes the '?').
std::string redact_query(std::string_view q) {
    std::string out;
    std::size_t start = 0;
    while (true) {
        std::size_t amp = q.find('&', start);
        std::string_view param = q.substr(start, amp == npos ? npos : amp - start);
        std::size_t eq = param.find('=');
        if (param.empty()) {
        } else if (eq == npos) {
            out += "***";
        } else if (param.substr(0, eq) == "db") {
            out += param;
        } else {
            out += param.substr(0, eq + 1);
            out += "***";
        }
        if (amp == npos) break;
        out += '&';
        start = amp + 1;
    }
    return out;
}

// Path, then ?query redacted, then #fragment redacted.
std::string redact_tail(std::string_view tail) {
    std::string out;
    std::size_t hash = tail.find('#');
    std::string_view frag = hash == npos ? std::string_view() : tail.substr(hash);
    tail = tail.substr(0, hash);
    std::size_t q = tail.find('?');
    out += tail.substr(0, q);
    if (q != npos) {
        out += '?';
        out += redact_query(tail.substr(q + 1));
    }
    if (frag.size() > 1) out += "#***";
    else out += frag;
    return out;
}

}  // namespace

std::string redact_url(std::string_view raw) {
    std::size_t start = 0;
    std::string scheme;
    std::size_t sep = raw.find("://");
    if (sep != npos && valid_url_scheme(raw.substr(0, sep))) {
        start = sep + 3;
        scheme = ascii_lower(raw.substr(0, sep));
    }
    std::string out(raw.substr(0, start));
    std::string_view rest = raw.substr(start);

    std::size_t at;
    if (scheme == "unix")
        at = (rest.empty() || rest[0] == '/') ? npos : rest.find("@/");
    else
        at = rest.rfind('@');

    if (at != npos) {
        std::string_view userinfo = rest.substr(0, at);
        std::size_t colon = userinfo.find(':');
        if (colon == npos) {
            out += "***";  // a lone userinfo may well be a token
        } else {
            out += userinfo.substr(0, colon);
            out += ":***";
        }
        out += '@';
        out += redact_tail(rest.substr(at + 1));
        return escape_controls(out);
    }
    if (scheme == "unix") return escape_controls(out + redact_tail(rest));

    // No '@': "user:secret" with the host forgotten looks like host:port.
    // At the first non-numeric port, hide everything from there on.
    std::size_t auth_end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, auth_end);
    for (std::string_view hp : split(authority, ',')) {
        auto entry = static_cast<std::size_t>(hp.data() - authority.data());
        std::size_t colon;
        if (!hp.empty() && hp[0] == '[') {
            std::size_t close = hp.find(']');
            colon = close == npos ? npos : hp.find(':', close);
        } else {
            colon = hp.find(':');
        }
        if (colon != npos) {
            std::string_view port = hp.substr(colon + 1);
            if (!port.empty() && !all_digits(port)) {
                out += rest.substr(0, entry + colon + 1);
                out += "***";
                return escape_controls(out);
            }
        }
    }
    out += authority;
    if (auth_end != npos) out += redact_tail(rest.substr(auth_end));
    return escape_controls(out);
}


std::string RedisUrl::redacted() const {
    std::string out;
    switch (scheme) {
        case UrlScheme::redis: out = "redis://"; break;
        case UrlScheme::rediss: out = "rediss://"; break;
        case UrlScheme::sentinel: out = sentinel_tls ? "rediss+sentinel://" : "redis+sentinel://"; break;
        case UrlScheme::unix_socket: out = "unix://"; break;
    }
    if (!username.empty()) {
        out += percent_encode(username, "");
        if (!password.empty()) out += ":***";
        out += '@';
    } else if (!password.empty()) {
        out += "***@";
    }
    if (scheme == UrlScheme::unix_socket) {
        out += percent_encode(socket_path, "/!$&'()*+,;=:@");
        if (db != 0) out += fmt::format("?db={}", db);
        return out;
    }
    for (std::size_t i = 0; i < hosts.size(); ++i) {
        if (i) out += ',';
        const HostPort& h = hosts[i];
        if (h.host.find(':') != std::string::npos)
            out += fmt::format("[{}]:{}", h.host, h.port);
        else
            out += fmt::format("{}:{}", h.host, h.port);
    }
    if (scheme == UrlScheme::sentinel) {
        out += '/';
        out += sentinel_master;
        if (db != 0) out += fmt::format("/{}", db);
    } else {
        out += fmt::format("/{}", db);
    }
    return out;
}

}  // namespace rbus
