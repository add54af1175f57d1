#include "base/tool_name.h"

#include <string>

namespace rbus {
namespace {

std::string g_tool = "rbus";

}  // namespace

std::string_view tool_name() { return g_tool; }

void set_tool_name(std::string_view name) { g_tool = std::string(name); }

}  // namespace rbus
