// The common settings as one table: each row says how a setting is given
// (CLI flag, environment variable, config-file key), what kind of value it
// is, its --help line, how the chosen value lands in the Context and how
// --print-context shows it. add_common_options, resolve_context,
// describe_context and the config file's key check all walk this table, so
// adding a setting is one row (plus the CommonOptions member CLI11 writes the
// flag into and the Context member it lands in).
//
// Precedence (SPEC §2), the same for every kind: flag > environment (the
// variables in row order) > config file > default.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "app/config.h"
#include "base/env.h"
#include "event/run_context.h"

namespace rbus {

struct CommonOptions;

enum class SettingKind {
    text,         // a string as given
    path,         // a file name: from the config file "~/" is $HOME, a relative one is the file's directory's
    duration,     // 250ms, 5s, 2m, 1h
    url,          // a Redis URL
    secret_file,  // the flag and config key name a file holding the secret; the variable holds the secret
    list,         // a repeatable flag, no variable, no config key
    flag,         // on/off: a flag; a variable of 1/true/yes/on or 0/false/no/off; a config boolean
    flag_env_1,   // on/off whose variable is on only when exactly "1" (RAPTORBUS_HISTORY, as the Python bus reads it)
    count,        // a repeatable flag counted (-vv)
};

// Where CLI11 writes a row's flag: one CommonOptions member of the kind's type.
struct FlagField {
    std::string CommonOptions::*text = nullptr;
    bool CommonOptions::*on = nullptr;
    int CommonOptions::*count = nullptr;
    std::vector<std::string> CommonOptions::*list = nullptr;

    constexpr FlagField() = default;
    constexpr FlagField(std::string CommonOptions::*m) : text(m) {}
    constexpr FlagField(bool CommonOptions::*m) : on(m) {}
    constexpr FlagField(int CommonOptions::*m) : count(m) {}
    constexpr FlagField(std::vector<std::string> CommonOptions::*m) : list(m) {}
};

// A setting's chosen value and where it came from: the flag's long name, the
// variable's name, "config FILE:LINE" or "default" (secrets: "none").
struct Picked {
    enum class From { none, flag, env, config };
    std::optional<std::string> value;  // on/off kinds: "true" or "false"
    std::string source = "default";
    From from = From::none;

    bool on() const { return value && *value == "true"; }
    // " (from SOURCE)" for an error message; nothing for a default.
    std::string from_where() const;
};

struct SettingInputs {
    const CommonOptions& flags;
    const EnvLookup& env;
    const Config& config;
};

struct Setting;
// How the chosen value lands in the Context (checking it; throws UsageError).
using SettingLand = void (*)(Context&, const Picked&, const SettingInputs&);
// For the few settings whose precedence has more steps than flag > env >
// config (the URL's own password, NO_COLOR, -q/-v): the whole resolution.
using SettingResolve = void (*)(Context&, const Setting&, const SettingInputs&);
// --print-context: the value shown.
using SettingShow = nlohmann::ordered_json (*)(const Context&);

struct Setting {
    std::string_view key{};           // Context::sources key; --print-context name with "_" for "-"
    const char* flags = nullptr;      // CLI11 names, "-u,--url"; nullptr: no flag
    std::array<const char*, 2> env{};  // variables, the first set wins
    std::string_view config_key{};    // empty: not in the config file
    SettingKind kind = SettingKind::text;
    const char* group = nullptr;      // --help group
    const char* help = nullptr;
    const char* type_name = nullptr;  // --help placeholder when not the usual one (help_format.cc)
    FlagField field{};
    int resolve_at = 0;               // resolution order: what a setting reads is resolved before it
    int print_at = 0;                 // --print-context order; 0: not shown
    bool print_source = true;         // --print-context shows "<name>_source"
    const char* shown_as = nullptr;   // --print-context name when not the key's
    SettingLand land = nullptr;
    SettingShow show = nullptr;
    SettingResolve resolve = nullptr;  // nullptr: pick by kind, then land

    // The long flag ("--url"), the source a flag gives; "" without a flag.
    std::string_view long_flag() const;
    // Recorded in Context::sources: what has a variable or a config key.
    bool sourced() const { return env[0] != nullptr || !config_key.empty(); }
};

// The rows, in --help order.
std::span<const Setting> settings_table();
const Setting* find_setting(std::string_view key);

// flag > environment > config file > default, by the row's kind. Throws
// UsageError for an on/off variable that is neither.
Picked pick_setting(const Setting& s, const SettingInputs& in);

// A file named in the config file: "~/" is $HOME, relative is to the file's directory.
std::string config_path_value(const std::string& path, const Config& config, const EnvLookup& env);

}  // namespace rbus
