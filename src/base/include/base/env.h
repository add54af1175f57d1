// Environment lookup as a value, so that precedence rules are unit-testable.
#pragma once

#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace rbus {

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// The process environment; unset and empty variables both read as absent.
inline std::optional<std::string> process_env(const std::string& name) {
    const char* v = std::getenv(name.c_str());
    if (!v || !*v) return std::nullopt;
    return std::string(v);
}

inline EnvLookup env_from_map(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end() || it->second.empty()) return std::nullopt;
        return it->second;
    };
}

}  // namespace rbus
