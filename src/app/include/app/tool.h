// The shape every tool's main() shares: declare flags, resolve the context,
// run, and map every error to one stderr line and its exit code.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "app/context.h"
#include "base/tool_name.h"  // tool_name()

namespace CLI {
class App;
}

namespace rbus {

using ToolRun = std::function<int(const Context&)>;
// declare() adds the tool's own flags and returns what runs after parsing.
using ToolDeclare = std::function<ToolRun(CLI::App&)>;

int tool_main(std::string_view name, std::string_view description, int argc, char** argv,
              const ToolDeclare& declare);

// The one-line error form of SPEC §4: "rbus-publish: error: ...".
void print_error(std::string_view tool, std::string_view message);

// What --version prints: "rbus-publish 0.1.0 (git 019b0e4525d1)", without
// the parenthesis when the build did not come from a git checkout.
std::string version_line(std::string_view tool);


// --print-context: what the tool resolves beyond the common settings (its
// history settings), added by declare() and asked for after parsing.
void set_context_details(ContextDetails details);

}  // namespace rbus
