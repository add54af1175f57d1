#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "base/safe_text.h"

using namespace rbus;

TEST_CASE("hidden controls: C0, DEL, C1, bidi and line separators") {
    CHECK(is_hidden_control(0x1b));
    CHECK(is_hidden_control(0x7f));
    CHECK(is_hidden_control(0x9b));
    CHECK(is_hidden_control(0x202e));
    CHECK(is_hidden_control(0x2066));
    CHECK(is_hidden_control(0x200f));
    CHECK(is_hidden_control(0x2028));
    CHECK_FALSE(is_hidden_control('a'));
    CHECK_FALSE(is_hidden_control(0xe9));
    CHECK_FALSE(is_hidden_control(0x65e5));
}

TEST_CASE("lossless_utf8 escapes each invalid byte as \\xNN, one-to-one") {
    CHECK(lossless_utf8("plain é 日") == "plain é 日");
    CHECK(lossless_utf8("a\xff") == "a\\xff");
    CHECK(lossless_utf8("a\xfe") == "a\\xfe");
    CHECK(lossless_utf8("a\xff") != lossless_utf8("a\xfe"));  // two channels stay two series
    CHECK(lossless_utf8("\xc3\x28") == "\\xc3(");
    CHECK(lossless_utf8("a\x1b") == "a\x1b");  // valid UTF-8: JSON escapes it itself
}

TEST_CASE("lossless_json makes any names a valid document") {
    nlohmann::json j;
    j["ch\xff"] = {{"name", "x\xfe"}, {"list", {"\xc3"}}};
    nlohmann::json safe = lossless_json(j);
    CHECK(safe.dump() == R"({"ch\\xff":{"list":["\\xc3"],"name":"x\\xfe"}})");
}

TEST_CASE("json_terminal_safe keeps the JSON value, escapes what a person should not get raw") {
    std::string dumped = nlohmann::json({{"a", "x\u202ey\u0085\u007f"}}).dump();
    std::string safe = json_terminal_safe(dumped);
    CHECK(safe == R"({"a":"x\u202ey\u0085\u007f"})");
    CHECK(nlohmann::json::parse(safe) == nlohmann::json::parse(dumped));
    CHECK(json_terminal_safe(R"({"k":"日本"})") == R"({"k":"日本"})");
}

TEST_CASE("terminal_safe escapes controls, bidi and invalid bytes") {
    CHECK(terminal_safe("a\x1b]52;c;x\x07") == "a\\u001b]52;c;x\\u0007");
    CHECK(terminal_safe("\xe2\x80\xae") == "\\u202e");
    CHECK(terminal_safe("\xff\xfe") == "\\xff\\xfe");
}
