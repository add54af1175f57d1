#include <doctest/doctest.h>

#include <map>

#include "base/error.h"
#include "event/payload.h"

using namespace rbus;

namespace {
FileReader files(std::map<std::string, std::string> m) {
    return [m](const std::string& p) {
        auto it = m.find(p);
        if (it == m.end()) throw UsageError("cannot read file " + p);
        return it->second;
    };
}
Json items(std::vector<std::string> a, const FileReader& r = read_text_file) { return payload_from_args(a, r); }
}  // namespace

TEST_CASE("HTTPie items build the payload in the order given") {
    CHECK(items({"agent_id=RES-001", "n:=5", "ok:=true", "tags[]=a", "tags[]=b", "a[b][c]=v"}).dump() ==
          R"({"agent_id":"RES-001","n":5,"ok":true,"tags":["a","b"],"a":{"b":{"c":"v"}}})");
    CHECK(items({"eq=a=b"}).dump() == R"({"eq":"a=b"})");
    CHECK(items({"empty="}).dump() == R"({"empty":""})");
    CHECK(items({"url:=\"http://x\""}).dump() == R"({"url":"http://x"})");
    CHECK(items({"k\\=x=1"}).dump() == R"({"k=x":"1"})");
}

TEST_CASE("items from files") {
    auto r = files({{"note.txt", "hello\n"}, {"obj.json", R"({"x":[1,2]})"}});
    CHECK(items({"note=@note.txt", "data:=@obj.json"}, r).dump() == R"({"note":"hello","data":{"x":[1,2]}})");
    CHECK_THROWS_WITH_AS(items({"x=@missing"}, r), "cannot read file missing", UsageError);
}

TEST_CASE("a whole JSON object, @FILE or stdin") {
    CHECK(items({R"({"b":1,"a":2})"}).dump() == R"({"b":1,"a":2})");
    auto r = files({{"p.json", R"({"k":"v"})"}, {"-", R"({"s":1})"}});
    CHECK(items({"@p.json"}, r).dump() == R"({"k":"v"})");
    CHECK(items({"-"}, r).dump() == R"({"s":1})");
    CHECK(items({}).dump() == "{}");
}

TEST_CASE("bad payloads name the problem") {
    // A number beyond a double is nlohmann's out_of_range, not a parse_error: one usage error, no crash.
    CHECK_THROWS_WITH_AS(items({R"({"a":1e999})"}), "payload: invalid JSON: a number out of range", UsageError);
    CHECK_THROWS_WITH_AS(parse_payload_object("1e66666666666}", "payload"), "payload: invalid JSON: a number out of range",
                         UsageError);
    CHECK_THROWS_WITH_AS(items({"[1,2]"}), "payload must be a JSON object (got array)", UsageError);
    CHECK_THROWS_WITH_AS(items({"5"}), "payload must be a JSON object (got number)", UsageError);
    CHECK_THROWS_WITH_AS(items({"\"s\""}), "payload must be a JSON object (got string)", UsageError);
    CHECK_THROWS_WITH_AS(items({"{bad"}), "payload: invalid JSON at byte 2: invalid literal; expected string literal",
                         UsageError);
    CHECK_THROWS_WITH_AS(items({R"({"a":1,})"}), "payload: invalid JSON at byte 8: unexpected '}'; expected string literal",
                         UsageError);
    CHECK_THROWS_WITH_AS(items({"{}", "b=2"}),
                         "misplaced \"b=2\" after the payload \"{}\": give one JSON object, @FILE or -, or items "
                         "(key=value ...), not both",
                         UsageError);
    CHECK_THROWS_WITH_AS(items({"a=1", "-"}),
                         "misplaced payload \"-\" after \"a=1\": give one JSON object, @FILE or -, or items "
                         "(key=value ...), not both",
                         UsageError);
    CHECK_THROWS_WITH_AS(items({"word"}),
                         "invalid item \"word\": expected key=value, key:=json, key=@file or key:=@file.json",
                         UsageError);
    CHECK_THROWS_WITH_AS(items({"n:=nope"}), "item \"n:=nope\": invalid JSON at byte 2: invalid literal", UsageError);
    CHECK_THROWS_WITH_AS(items({"=v"}), "invalid item \"=v\": empty key", UsageError);
    CHECK_THROWS_WITH_AS(items({"a[b=1"}), "invalid item \"a[b=1\": unclosed [ in key path", UsageError);
    CHECK_THROWS_AS(items({"a=1", "a[b]=2"}), UsageError);
    std::string deep(100000, '[');
    std::string expected = "item \"x:=" + deep + "\": JSON nested too deeply (more than 512 levels)";
    CHECK_THROWS_WITH_AS(items({"x:=" + deep}), expected.c_str(), UsageError);
}
