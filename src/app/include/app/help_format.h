// --help in our words, not CLI11's: value names such as DUR, N and FILE (no
// "INT:INT in [1 - 10000]", no "Needs:"/"Excludes:" lists), examples and the
// exit codes at the end, and "did you mean --priority?" for a mistyped flag.
#pragma once

#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace rbus {

class HelpFormatter : public CLI::Formatter {
public:
    // " DUR", " N ...": the value's name only.
    std::string make_option_opts(const CLI::Option* opt) const override;
};

// The value name shown for a CLI11 type name: INT/UINT (with any range) → N,
// FLOAT → X, TEXT → VALUE; our own names (DUR, FILE, ...) as they are.
std::string help_type_name(std::string_view cli11_name);

// The end of every tool's --help: its examples, then the exit codes (SPEC §4)
// and where to read more.
std::string help_footer(std::string_view tool, std::string_view examples);

// The long option of `app` nearest to `unknown` ("--priorty" → "--priority"),
// or "" when none is close (at most 2 edits, or a unique prefix).
std::string nearest_option(const CLI::App& app, std::string_view unknown);

// A CLI11 parse error as one line of ours: unknown options with a suggestion,
// CLI11's wording otherwise, "(see --help)" at the end.
std::string describe_parse_error(const CLI::App& app, const CLI::ParseError& e);

}  // namespace rbus
