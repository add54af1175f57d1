// Precompiled header for the unit tests: the heavy third-party headers almost
// every test includes (nlohmann/json alone is ~3 s per file at -O2 -g). Nothing
// here changes meaning; a test still includes what it uses. (The library floors
// build without one, so that what a header pulls in shows in their build time.)
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
