#include "app/help_format.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "base/text.h"

namespace rbus {

std::string help_type_name(std::string_view name) {
    // CLI11 appends a validator's description: "INT:INT in [1 - 10000]".
    name = name.substr(0, name.find(':'));
    if (name == "INT" || name == "UINT") return "N";
    if (name == "FLOAT") return "X";
    if (name == "TEXT" || name.empty()) return "VALUE";
    return std::string(name);
}

namespace {

// CLI11 calls every string TEXT: name the value by what the option takes.
std::string value_name(const CLI::Option* opt) {
    std::string type = help_type_name(opt->get_type_name());
    if (type != "VALUE" || opt->get_lnames().empty()) return type;
    std::string_view l = opt->get_lnames().front();
    auto ends = [&](std::string_view s) { return l.size() >= s.size() && l.substr(l.size() - s.size()) == s; };
    if (l == "url") return "URL";
    if (ends("file") || l == "cacert" || l == "cert" || l == "key" || l == "config" || l == "record" ||
        l == "dead-letter" || l == "ready-file")
        return "FILE";
    if (ends("timeout") || l == "duration" || l == "interval" || l == "idle" || l == "max-rtt" || ends("interval"))
        return "DUR";
    if (ends("id") || l == "trace") return "ID";
    if (l == "prefix") return "PREFIX";
    if (l == "color") return "auto|always|never";
    if (l == "log-format") return "text|json";
    if (l == "channel" || l == "sni") return "NAME";
    if (ends("priority")) return "LEVEL";
    if (l == "where") return "PATH=VALUE";
    if (l == "exclude") return "PATTERN";
    return type;
}

}  // namespace

std::string HelpFormatter::make_option_opts(const CLI::Option* opt) const {
    if (!opt->get_option_text().empty()) return " " + opt->get_option_text();
    // A flag takes no value: CLI11 gives it no type name.
    if (opt->get_type_size() == 0 || opt->get_type_name().empty()) return {};
    bool many = opt->get_expected_max() > 1;  // repeatable (a vector): CLI11's public face of it
    if (!opt->nonpositional()) return many ? " ..." : "";  // a positional's name already says what it is
    std::string out = " " + value_name(opt);
    if (many) out += " ...";
    return out;
}

std::string help_footer(std::string_view tool, std::string_view examples) {
    std::string out;
    if (!examples.empty()) {
        out += "Examples:\n";
        out += examples;
        if (out.back() != '\n') out += '\n';
        out += '\n';
    }
    out += "Exit status: 0 done; 1 runtime failure; 2 usage or invalid input (nothing published);\n"
           "3 bus unreachable, authentication or TLS failure; 4 fewer receivers than --min-receivers;\n"
           "5 invalid message with --invalid fail; 124 --timeout reached; 130/143 SIGINT/SIGTERM.\n"
           "More: man ";
    out += tool;
    out += ", man rbus.";
    return out;
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

// "--priorty=high" → "priorty"; "-x" → "" (short options get no suggestion).
std::string_view long_name(std::string_view arg) {
    if (arg.size() < 3 || arg.substr(0, 2) != "--") return {};
    arg.remove_prefix(2);
    return arg.substr(0, arg.find('='));
}

}  // namespace

std::string nearest_option(const CLI::App& app, std::string_view unknown) {
    std::string_view name = long_name(unknown);
    if (name.empty()) return {};
    std::string best;
    std::size_t best_distance = 3, prefixed = 0;
    std::string prefix_match;
    for (const CLI::Option* opt : app.get_options()) {
        for (const std::string& l : opt->get_lnames()) {
            std::size_t d = edit_distance(name, l);
            if (d < best_distance) {
                best_distance = d;
                best = "--" + l;
            }
            if (l.rfind(name, 0) == 0) {
                ++prefixed;
                prefix_match = "--" + l;
            }
        }
    }
    if (!best.empty()) return best;
    return prefixed == 1 ? prefix_match : std::string();
}

std::string describe_parse_error(const CLI::App& app, const CLI::ParseError& e) {
    if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
        std::vector<std::string> unknown;
        for (const std::string& arg : app.remaining())
            if (arg.size() > 1 && arg[0] == '-') unknown.push_back(arg);
        if (!unknown.empty()) {
            std::string out = fmt::format("unknown option {}", escape_controls(unknown.front()));
            if (std::string near = nearest_option(app, unknown.front()); !near.empty())
                out += fmt::format(": did you mean {}?", near);
            return out + " (see --help)";
        }
        std::vector<std::string> extra = app.remaining();
        if (!extra.empty())
            return fmt::format("unexpected argument \"{}\" (see --help)", escape_controls(extra.front()));
    }
    return fmt::format("{} (see --help)", e.what());
}

}  // namespace rbus
