#include <doctest/doctest.h>

#include <deque>
#include <string>

#include <fmt/format.h>

#include "base/id_set.h"

using namespace rbus;

TEST_CASE("id set: each id once, kept where the caller keeps it, across growth") {
    IdSet set;
    std::deque<std::string> kept;  // the bytes the set points into
    auto keep = [&](std::string_view id) { return std::string_view(kept.emplace_back(id)); };
    CHECK_FALSE(set.contains("a"));
    for (int i = 0; i < 20000; ++i) {
        std::string id = fmt::format("0d3f5a4e-1c2b-4a5d-9e8f-{:012}", i);
        CHECK(set.insert(id, keep));
        CHECK_FALSE(set.insert(id, keep));  // the caller's copy of a second one is not made
    }
    CHECK(set.size() == 20000);
    CHECK(kept.size() == 20000);
    for (int i = 0; i < 20000; i += 997) CHECK(set.contains(fmt::format("0d3f5a4e-1c2b-4a5d-9e8f-{:012}", i)));
    CHECK_FALSE(set.contains("0d3f5a4e-1c2b-4a5d-9e8f-000000020000"));
    CHECK(set.insert(""));  // an empty id is an id
    CHECK(set.contains(""));
    CHECK_FALSE(set.insert(std::string_view()));
    IdSet reserved;
    reserved.reserve(1000);
    CHECK(reserved.insert("x"));
    CHECK(reserved.contains("x"));
    CHECK_FALSE(reserved.contains("y"));
}
