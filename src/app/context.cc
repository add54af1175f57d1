#include "app/context.h"

#include <algorithm>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <fmt/format.h>

#include "app/settings_table.h"
#include "base/error.h"
#include "base/text.h"

namespace rbus {

void add_common_options(CLI::App& app, CommonOptions& o) {
    for (const Setting& s : settings_table()) {
        if (!s.flags) continue;
        CLI::Option* opt = nullptr;
        if (s.field.on) opt = app.add_flag(s.flags, o.*s.field.on, s.help);
        else if (s.field.count) opt = app.add_flag(s.flags, o.*s.field.count, s.help);
        else if (s.field.list) opt = app.add_option(s.flags, o.*s.field.list, s.help)->allow_extra_args(false);
        else opt = app.add_option(s.flags, o.*s.field.text, s.help);
        if (s.type_name) opt->type_name(s.type_name);
        opt->group(s.group);
    }
}

std::optional<bool> env_flag(const EnvLookup& env, const char* name) {
    auto v = env(name);
    if (!v) return std::nullopt;
    std::string s = ascii_lower(*v);
    if (s == "1" || s == "true" || s == "yes" || s == "y" || s == "on") return true;
    if (s == "0" || s == "false" || s == "no" || s == "n" || s == "off") return false;
    throw UsageError(fmt::format("invalid {} \"{}\": use 1, true, yes or on; 0, false, no or off", name,
                                 escape_controls(*v)));
}

namespace {

// The rows ordered by one of their positions, without the rows at 0.
std::vector<const Setting*> rows_by(int Setting::*position) {
    std::vector<const Setting*> rows;
    for (const Setting& s : settings_table())
        if (s.*position > 0) rows.push_back(&s);
    std::sort(rows.begin(), rows.end(), [&](const Setting* a, const Setting* b) { return a->*position < b->*position; });
    return rows;
}

std::string json_name(std::string_view key) {
    std::string name(key);
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
}

}  // namespace

Context resolve_context(const CommonOptions& o, const EnvLookup& env, const Config& config) {
    Context c;
    c.config_path = config.path();
    const SettingInputs in{o, env, config};
    for (const Setting* s : rows_by(&Setting::resolve_at)) {
        if (s->resolve) {
            s->resolve(c, *s, in);
            continue;
        }
        Picked p = pick_setting(*s, in);
        if (s->sourced()) c.sources[std::string(s->key)] = p.source;
        if (s->land) s->land(c, p, in);
    }
    return c;
}

std::string describe_context(const Context& c) {
    nlohmann::ordered_json j;
    for (const Setting* s : rows_by(&Setting::print_at)) {
        j[s->shown_as ? std::string(s->shown_as) : json_name(s->key)] = s->show(c);
        if (!s->print_source) continue;
        j[json_name(s->key) + "_source"] = c.source_of(s->key);
    }
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string describe_context(const Context& c, const ContextDetails& details) {
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(describe_context(c));
    details(c, j);
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace rbus
