#include <doctest/doctest.h>

#include "base/text.h"

using namespace rbus;

TEST_CASE("split: the pieces between separators, empty ones kept") {
    using V = std::vector<std::string_view>;
    CHECK(split("a,b,c", ',') == V{"a", "b", "c"});
    CHECK(split("a,,b", ',') == V{"a", "", "b"});
    CHECK(split(",a,", ',') == V{"", "a", ""});
    CHECK(split("", ',') == V{""});
    CHECK(split("no separator", ',') == V{"no separator"});
    std::string_view text = "h1:1,h2:2";
    V pieces = split(text, ',');
    CHECK(pieces[1].data() == text.data() + 5);  // views into the text
}
