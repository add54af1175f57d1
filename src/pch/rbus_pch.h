// Precompiled header for the library and the tools: the heavy third-party headers
// almost every file includes (nlohmann/json alone is ~3 s per file at -O2 -g).
// Nothing here changes meaning; a file still includes what it uses.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
