#include "app/settings_resolvers.h"

#include <sys/stat.h>

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "app/context.h"
#include "base/duration.h"
#include "base/error.h"
#include "base/named_file.h"
#include "base/text.h"

namespace rbus {
namespace {

// ssh refuses a private key others can read; a password file gets a warning.
void check_secret_file_mode(Context& c, const std::string& path, std::string_view what) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;  // a pipe, <(...), a FIFO: nothing to say
    if (st.st_mode & (S_IRGRP | S_IROTH))
        c.security_warnings.push_back({true, fmt::format("{} {} can be read by other users (mode {:04o}): chmod 600 it",
                                                         what, path, st.st_mode & 07777)});
}

std::string read_password_file(Context& c, const std::string& path) {
    check_secret_file_mode(c, path, "password file");
    std::string s = read_named_file(path, "password file", 64 * 1024);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (s.empty()) throw UsageError(fmt::format("password file {} is empty", path));
    return s;
}

bool has_blank(const std::string& s, const char* blanks) { return s.find_first_of(blanks) != std::string::npos; }

}  // namespace

void land_url(Context& c, const Picked& p, const SettingInputs&) {
    c.url_source = p.source;
    try {
        c.connect.url = parse_url(p.value.value_or("redis://127.0.0.1:6379"));
    } catch (const UsageError& e) {
        if (p.from == Picked::From::flag || p.from == Picked::From::none) throw;
        if (p.from == Picked::From::env) throw UsageError(fmt::format("{}: {}", p.source, e.what()));
        throw UsageError(fmt::format("{}: {}", p.source.substr(7), e.what()));  // "config FILE:LINE": FILE:LINE
    }
}

std::string secret_value(Context& c, const Picked& p) {
    if (!p.value) return {};
    return p.from == Picked::From::env ? *p.value : read_password_file(c, *p.value);
}

void land_prefix(Context& c, const Picked& p, const SettingInputs&) {
    if (p.value) c.prefix = *p.value;
    if (c.prefix.empty() || has_blank(c.prefix, " \r\n\t"))
        throw UsageError(fmt::format("invalid channel prefix \"{}\"{}", c.prefix, p.from_where()));
}

void land_history_prefix(Context& c, const Picked& p, const SettingInputs&) {
    if (p.value) c.history_prefix = *p.value;
    if (c.history_prefix.empty() || has_blank(c.history_prefix, " \r\n\t{}"))
        throw UsageError(fmt::format("invalid history key prefix \"{}\"{}", c.history_prefix, p.from_where()));
}

void land_duration_ms(Context& c, const Picked& p, const SettingInputs&) {
    if (!p.value) return;
    try {
        c.connect.connect_timeout = parse_duration(*p.value);
    } catch (const UsageError& e) {
        throw UsageError(fmt::format("{}{}", e.what(), p.from_where()));
    }
}

void land_channels(Context& c, const Picked&, const SettingInputs& in) {
    for (const std::string& ch : in.flags.channels) {
        if (ch.empty() || has_blank(ch, " \r\n\t") || std::any_of(ch.begin(), ch.end(), [](char x) { return is_control(x); }))
            throw UsageError(fmt::format("invalid --channel \"{}\": a channel name has no spaces or control characters",
                                         escape_controls(ch)));
        c.channels.push_back(ch);
    }
}

// NO_COLOR and CLICOLOR_FORCE are the row's variables: they beat the config
// file and leave the choice to the colour policy (base/color.h), which reads them.
void land_color(Context& c, const Picked& p, const SettingInputs&) {
    if (!p.value || p.from == Picked::From::env) return;
    c.color_flag = parse_color_mode(*p.value);
    if (!c.color_flag)
        throw UsageError(fmt::format("invalid color \"{}\"{}: use auto, always or never", *p.value, p.from_where()));
}

void land_log_format(Context& c, const Picked& p, const SettingInputs&) {
    if (!p.value) return;
    if (*p.value == "text") c.log_format = LogFormat::text;
    else if (*p.value == "json") c.log_format = LogFormat::json;
    else throw UsageError(fmt::format("invalid log format \"{}\"{}: use text or json", *p.value, p.from_where()));
}

void resolve_password(Context& c, const Setting& s, const SettingInputs& in) {
    RedisUrl& url = c.connect.url;
    std::string& source = c.sources[std::string(s.key)];
    Picked p = pick_setting(s, in);
    if (p.from != Picked::From::flag && p.from != Picked::From::env && c.url_source == "UPSTASH_REDIS_URL") {
        if (auto token = in.env("UPSTASH_REDIS_TOKEN")) p = {*token, "UPSTASH_REDIS_TOKEN", Picked::From::env};
    }
    // redis://alice@host with a password from elsewhere: alice is the user.
    if (url.lone_userinfo && p.value) {
        url.username = std::exchange(url.password, std::string());
        url.lone_userinfo = false;
    }
    if (!url.password.empty()) {
        source = "url (" + c.url_source + ")";
        if (c.url_source == "--url") c.url_password_on_argv = true;
        return;
    }
    url.password = secret_value(c, p);
    source = p.source;
}

void resolve_log_level(Context& c, const Setting& s, const SettingInputs& in) {
    std::string& source = c.sources[std::string(s.key)];
    if (in.flags.quiet) {
        c.log_level = LogLevel::error;
        source = "-q";
    } else if (in.flags.verbose > 0) {
        c.log_level = in.flags.verbose == 1 ? LogLevel::info : LogLevel::debug;
        source = in.flags.verbose == 1 ? "-v" : "-vv";
    } else if (auto lv = in.env(s.env[0])) {
        auto parsed = parse_log_level(*lv);
        if (!parsed)
            throw UsageError(fmt::format("invalid {} \"{}\": use error, warning, info or debug (any case)", s.env[0],
                                         escape_controls(*lv)));
        c.log_level = *parsed;
        source = s.env[0];
    } else {
        source = "default";
    }
}

void resolve_config_file(Context& c, const Setting&, const SettingInputs&) {
    if (c.config_path.empty()) return;
    // A config file others can change could point the credentials anywhere.
    struct stat st {};
    if (::stat(c.config_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        c.security_warnings.push_back({false, fmt::format("config file {} can be changed by other users (mode "
                                                          "{:04o}): chmod go-w it",
                                                          c.config_path, st.st_mode & 07777)});
    else if ((st.st_mode & (S_IRGRP | S_IROTH)) && !c.connect.url.password.empty() &&
             c.url_source.rfind("config ", 0) == 0)
        c.security_warnings.push_back({true, fmt::format("config file {} holds a password and can be read by other "
                                                         "users (mode {:04o}): chmod 600 it",
                                                         c.config_path, st.st_mode & 07777)});
}

}  // namespace rbus
