// The name of the running tool ("rbus-publish"), for lines written from deep
// inside: error and note lines, the client name a sentinel sees.
#pragma once

#include <string_view>

namespace rbus {

std::string_view tool_name();
// Set once by the tool's main (app/tool.h: tool_main).
void set_tool_name(std::string_view name);

}  // namespace rbus
