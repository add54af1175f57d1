// What the settings table's rows (settings_table.cc) do beyond a one-line
// landing: the checks that need more than a line, and the three settings
// whose precedence has more steps than flag > environment > config file.
#pragma once

#include <string>

#include "app/settings_table.h"

namespace rbus {

// The URL (default redis://127.0.0.1:6379), parsed; a bad one names where it came from.
void land_url(Context& c, const Picked& p, const SettingInputs& in);
// A secret from a secret_file row: the file's first line (flag or config
// file), or the variable's value; empty for none.
std::string secret_value(Context& c, const Picked& p);
// The channel prefix and the history key prefix: no spaces (nor braces, for keys).
void land_prefix(Context& c, const Picked& p, const SettingInputs& in);
void land_history_prefix(Context& c, const Picked& p, const SettingInputs& in);
void land_duration_ms(Context& c, const Picked& p, const SettingInputs& in);  // --connect-timeout
void land_channels(Context& c, const Picked& p, const SettingInputs& in);
void land_color(Context& c, const Picked& p, const SettingInputs& in);
void land_log_format(Context& c, const Picked& p, const SettingInputs& in);

// The password: the URL's own first, then the row's flag > variable, then
// UPSTASH_REDIS_TOKEN for an Upstash URL, then the config file's file. With
// one of those, a lone userinfo (redis://alice@host) is the user.
void resolve_password(Context& c, const Setting& s, const SettingInputs& in);
// -q, else -v/-vv, else the variable, else warn.
void resolve_log_level(Context& c, const Setting& s, const SettingInputs& in);
// The config file read: warned about when others can change it, or read a password in it.
void resolve_config_file(Context& c, const Setting& s, const SettingInputs& in);

}  // namespace rbus
