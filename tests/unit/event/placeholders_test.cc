#include <doctest/doctest.h>

#include "event/placeholders.h"
#include "base/uuid.h"

using namespace rbus;

TEST_CASE("{{seq}}, {{uuid}} and {{now}} are expanded in string values, anywhere in the payload") {
    PayloadTemplate t(Json::parse(
        R"({"n":"{{seq}}","msg":"job {{seq}} of run {{uuid}}","at":"{{now}}","deep":{"list":["x{{seq}}y",3]},"{{seq}}":"k"})"));
    CHECK(t.has_placeholders());
    CHECK(t.uses_uuid());
    CHECK(t.uses_now());
    PlaceholderValues v{7, "u-1", "2026-11-26T16:10:30.237319Z"};
    CHECK(t.render(v).dump() ==
          R"({"n":"7","msg":"job 7 of run u-1","at":"2026-11-26T16:10:30.237319Z","deep":{"list":["x7y",3]},"{{seq}}":"k"})");
}

TEST_CASE("text without a known placeholder stays as written") {
    PayloadTemplate t(Json::parse(R"({"a":"{{other}} {{ seq }}","b":"{{","c":1})"));
    CHECK_FALSE(t.has_placeholders());
    CHECK(t.render(3).dump() == R"({"a":"{{other}} {{ seq }}","b":"{{","c":1})");
}

TEST_CASE("each render makes its own uuid; the template itself is unchanged") {
    PayloadTemplate t(Json::parse(R"({"id":"{{uuid}}","again":"{{uuid}}","s":"{{seq}}{{seq}}"})"));
    Json a = t.render(1), b = t.render(2);
    CHECK(is_uuid(a["id"].get<std::string>()));
    CHECK(a["id"] == a["again"]);
    CHECK(a["id"] != b["id"]);
    CHECK(a["s"] == "11");
    CHECK(b["s"] == "22");
    CHECK_FALSE(PayloadTemplate(Json::parse(R"({"s":"{{seq}}"})")).uses_uuid());
}
