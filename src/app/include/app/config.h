// The config file: TOML whose keys are the common options' long flag names,
// at the top level for every tool or under [publish], [subscribe], [tail],
// [stats] for one. Precedence: flag > environment > config file > default.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/env.h"

namespace rbus {

struct ConfigValue {
    std::string text;      // strings as written, integers in decimal, booleans "true"/"false"
    bool is_bool = false;
    bool boolean = false;
    std::string where;     // "FILE:LINE", for messages and --print-context
};

class Config {
public:
    Config() = default;

    // Parses `text` (read from `path`) for the tool whose section is `section`
    // ("publish", "subscribe", "tail" or "stats"): that section's keys
    // override the top level's. An unknown key or section, a value of the
    // wrong type or a syntax error throws UsageError naming FILE:LINE.
    static Config parse(std::string_view text, const std::string& path, std::string_view section);

    // The file to use: --config FILE, else RAPTORBUS_CONFIG, else
    // $XDG_CONFIG_HOME/rbus/config.toml (default ~/.config) when it exists.
    // A file named by --config or RAPTORBUS_CONFIG must exist (UsageError).
    static Config load(const std::string& flag_path, const EnvLookup& env, std::string_view section);

    const ConfigValue* get(std::string_view key) const;
    const std::string& path() const { return path_; }  // empty: no config file
    bool empty() const { return values_.empty(); }

private:
    std::string path_;
    std::map<std::string, ConfigValue, std::less<>> values_;
};

// The keys a config file may hold (the settings table's config keys: the
// common options' long names).
bool is_config_key(std::string_view key);
bool is_boolean_config_key(std::string_view key);

}  // namespace rbus
