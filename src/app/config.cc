#include "app/config.h"

#include <unistd.h>

#include <array>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "app/settings_table.h"
#include "base/error.h"
#include "base/named_file.h"

namespace rbus {
namespace {

constexpr std::array<std::string_view, 4> kSections = {"publish", "subscribe", "tail", "stats"};

template <typename List>
bool contains(const List& list, std::string_view s) {
    for (std::string_view x : list)
        if (!x.empty() && x == s) return true;
    return false;
}

std::string at(const std::string& path, const toml::source_region& where) {
    return fmt::format("{}:{}", path, where.begin.line);
}

// One key = value of the file, checked and turned into a ConfigValue.
ConfigValue read_value(const std::string& path, const toml::key& key, const toml::node& node) {
    const std::string name(key.str());
    ConfigValue v;
    v.where = at(path, key.source().begin.line ? key.source() : node.source());
    if (!is_config_key(name))
        throw UsageError(fmt::format("{}: unknown key \"{}\" (keys are the long option names, e.g. url, prefix, "
                                     "workspace-id)",
                                     v.where, name));
    if (is_boolean_config_key(name)) {
        if (!node.is_boolean())
            throw UsageError(fmt::format("{}: {} must be true or false", v.where, name));
        v.is_bool = true;
        v.boolean = node.as_boolean()->get();
        v.text = v.boolean ? "true" : "false";
        return v;
    }
    if (node.is_string()) {
        v.text = node.as_string()->get();
    } else if (node.is_integer()) {
        v.text = std::to_string(node.as_integer()->get());
    } else {
        throw UsageError(fmt::format("{}: {} must be a string (\"...\")", v.where, name));
    }
    return v;
}

}  // namespace

const Setting* config_setting(std::string_view key) {
    for (const Setting& s : settings_table())
        if (!s.config_key.empty() && s.config_key == key) return &s;
    return nullptr;
}

bool is_config_key(std::string_view key) { return config_setting(key) != nullptr; }

bool is_boolean_config_key(std::string_view key) {
    const Setting* s = config_setting(key);
    return s && (s->kind == SettingKind::flag || s->kind == SettingKind::flag_env_1);
}

Config Config::parse(std::string_view text, const std::string& path, std::string_view section) {
    toml::table root;
    try {
        root = toml::parse(text, path);
    } catch (const toml::parse_error& e) {
        throw UsageError(fmt::format("{}:{}: invalid config: {}", path, e.source().begin.line, e.description()));
    }
    Config config;
    config.path_ = path;
    std::map<std::string, ConfigValue, std::less<>> top, own;
    for (auto&& [key, node] : root) {
        const std::string name(key.str());
        if (!node.is_table()) {
            top[name] = read_value(path, key, node);
            continue;
        }
        if (!contains(kSections, name))
            throw UsageError(fmt::format("{}: unknown section [{}] (use [publish], [subscribe], [tail] or [stats])",
                                         at(path, node.source()), name));
        for (auto&& [sub_key, sub_node] : *node.as_table()) {
            if (sub_node.is_table())
                throw UsageError(fmt::format("{}: unknown section [{}.{}]", at(path, sub_node.source()), name,
                                             sub_key.str()));
            ConfigValue v = read_value(path, sub_key, sub_node);
            if (name == section) own[std::string(sub_key.str())] = std::move(v);
        }
    }
    config.values_ = std::move(top);
    for (auto& [k, v] : own) config.values_[k] = std::move(v);
    return config;
}

Config Config::load(const std::string& flag_path, const EnvLookup& env, std::string_view section) {
    std::string path = flag_path;
    bool required = true;
    if (path.empty()) {
        if (auto p = env(find_setting("config")->env[0])) {
            path = *p;
        } else {
            required = false;
            if (auto xdg = env("XDG_CONFIG_HOME"))
                path = *xdg + "/rbus/config.toml";
            else if (auto home = env("HOME"))
                path = *home + "/.config/rbus/config.toml";
            else
                return Config();
        }
    }
    if (!required && ::access(path.c_str(), F_OK) != 0) return Config();
    return parse(read_named_file(path, "config file", 1024 * 1024), path, section);
}

const ConfigValue* Config::get(std::string_view key) const {
    auto it = values_.find(key);
    return it == values_.end() ? nullptr : &it->second;
}

}  // namespace rbus
