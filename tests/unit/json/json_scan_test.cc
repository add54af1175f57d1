#include "json/json_scan.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

using namespace rbus;

namespace {
bool accepted(std::string_view s) { return jscan::scan(s).has_value(); }
}  // namespace

TEST_CASE("jscan accepts exactly what nlohmann accepts") {
    std::vector<std::string> cases = {
        "{}", "[]", "0", "-0", "1.5e10", "1E+2", "-12.25e-3", "\"\"", "true", "false", "null",
        " {\"a\" : [1, 2, {\"b\": null}], \"c\": \"x\\n\\u00e9\\ud83d\\ude00\"} ",
        "\"caf\xc3\xa9\"", "\"\xf0\x9f\x98\x80\"", "123456789012345678901234567890",
        // invalid
        "", " ", "{", "[1,]", "{\"a\":1,}", "{a:1}", "01", "1.", ".5", "-", "+1", "1e", "tru", "nul",
        "\"abc", "\"a\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"",
        "\"a\tb\"", std::string("\"a\0b\"", 5), "\"\xc3\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"",
        "\"\xf4\x90\x80\x80\"", "\"\xff\"", "{} {}", "[1] x", "{\"a\" 1}", "[1 2]", "{\"a\":}",
    };
    for (const auto& c : cases) {
        CAPTURE(c);
        CHECK(accepted(c) == nlohmann::json::accept(c));
    }
}

TEST_CASE("jscan follows RFC 8259 on numbers a double cannot hold (nlohmann refuses them)") {
    CHECK(accepted("1e400"));
    CHECK(accepted("[-1e-400]"));
    CHECK_FALSE(nlohmann::json::accept("1e400"));
}

TEST_CASE("jscan returns the value's span and kind, and reports where it failed") {
    auto v = jscan::scan("  {\"a\":1}\n");
    REQUIRE(v);
    CHECK(v->kind == jscan::Kind::object);
    CHECK(v->text == "{\"a\":1}");
    CHECK(jscan::scan("\"s\"")->kind == jscan::Kind::string);
    CHECK(jscan::scan("-1")->kind == jscan::Kind::number);
    CHECK(jscan::scan("false")->kind == jscan::Kind::boolean);
    jscan::Error e;
    CHECK_FALSE(jscan::scan("{\"a\":1,}", &e));
    CHECK(std::string(e.what) == "expected a string key");
    CHECK(e.at == 7);
}

TEST_CASE("jscan bounds nesting without recursion") {
    std::string deep(100000, '[');
    jscan::Error e;
    CHECK_FALSE(jscan::scan(deep, &e));
    CHECK(std::string(e.what) == "nested too deeply");
    std::string ok = std::string(100, '[') + std::string(100, ']');
    CHECK(jscan::scan(ok, nullptr, 100));
    CHECK_FALSE(jscan::scan(ok, nullptr, 99));
}

TEST_CASE("jscan iterates members") {
    std::string out = "{\"a\":[1,2],\"b\\\"\":\"x y\",\"c\":{\"d\":true}}";
    REQUIRE(jscan::scan(out));

    std::vector<std::string> seen;
    CHECK(jscan::for_each_member(out, [&](std::string_view k, jscan::Value v) {
        seen.push_back(std::string(k) + "=" + std::string(v.text));
        return true;
    }));
    CHECK(seen == std::vector<std::string>{"a=[1,2]", "b\\\"=\"x y\"", "c={\"d\":true}"});
    CHECK(jscan::for_each_member("{}", [](std::string_view, jscan::Value) { return false; }));
    CHECK_FALSE(jscan::for_each_member(out, [](std::string_view, jscan::Value) { return false; }));
}

TEST_CASE("jscan decodes strings like nlohmann") {
    for (std::string tok : {"\"plain\"", "\"a\\\\b\\\"c\\/\"", "\"\\b\\f\\n\\r\\t\"", "\"\\u00e9\\u20ac\"",
                            "\"\\ud83d\\ude00x\"", "\"caf\xc3\xa9\""}) {
        CAPTURE(tok);
        std::string out;
        REQUIRE(jscan::decode_string(tok, out));
        CHECK(out == nlohmann::json::parse(tok).get<std::string>());
    }
    std::string out;
    CHECK_FALSE(jscan::decode_string("12", out));
    CHECK(jscan::plain("abc"));
    CHECK_FALSE(jscan::plain("a\\n"));
}

namespace {
// nullopt when the text is invalid; otherwise whether scan() calls it canonical.
std::optional<bool> canonical(std::string_view s) {
    bool c = false;
    if (!jscan::scan(s, c)) return std::nullopt;
    return c;
}
}  // namespace

TEST_CASE("jscan tells in the same pass whether a value is already canonical") {
    // As nlohmann prints them after a parse: passed through as they are.
    for (std::string_view s : {R"({"n":1,"agent_id":"RES-001","status":"ok","text":"benchmark event number 1"})",
                               R"({})", R"([])", R"([1,-2,0,true,false,null,"x"])", R"({"a":{"a":{"a":1}},"b":[{"a":2}]})",
                               R"("q\"\\\b\f\n\r\t\u0000\u001f")", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"", R"(1.5)", R"(1e+100)",
                               R"(-9223372036854775808)", R"(18446744073709551615)", R"(0.1)", R"({"k\n":1,"k":2})",
                               " {\"a\":1}\n", R"(123456789012345678)"}) {
        CAPTURE(s);
        CHECK(canonical(s) == std::optional<bool>(true));
        auto v = jscan::scan(s);
        REQUIRE(v);
        CHECK(nlohmann::ordered_json::parse(s).dump() == v->text);
    }
    // Valid, but a parse and dump would print other bytes.
    for (std::string_view s : {R"({"a": 1})", R"([1, 2])", "{\n\"a\":1}", R"({"a":1 })", R"("\/")", R"("\u00e9")",
                               R"("\u001F")", R"("\u000a")", R"(1.50)", R"(1e2)", R"(1E+100)", R"(-0)", R"(-0.0e0)",
                               R"(18446744073709551616)", R"(-9223372036854775809)", R"({"a":1,"a":2})",
                               R"({"x":{"b":1,"c":2,"b":3}})", R"([{"a":1,"a":1}])"}) {
        CAPTURE(s);
        CHECK(canonical(s) == std::optional<bool>(false));
    }
    CHECK_FALSE(canonical(R"({"a":1,})"));  // invalid: no answer at all
    // Past the limits of the key store, the answer is "not canonical", never a wrong "yes".
    std::string deep = std::string(40, '[') + std::string(40, ']');
    CHECK(canonical(deep) == std::optional<bool>(true));  // arrays hold no keys
    std::string deep_objects, close;
    for (int i = 0; i < 40; ++i) {
        deep_objects += "{\"k\":";
        close += "}";
    }
    CHECK(canonical(deep_objects + "1" + close) == std::optional<bool>(false));
    std::string many = "{";
    for (int i = 0; i < 200; ++i) many += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
    many += "}";
    CHECK(canonical(many) == std::optional<bool>(false));
    CHECK(nlohmann::ordered_json::parse(many).dump() == many);
}

TEST_CASE("jscan: strings read 8 bytes at a time end at the same byte as one at a time") {
    // Every special byte at every offset of a 24-byte string, and strings ending near the end of the input.
    for (char special : {'"', '\\', '\x1f', '\x01', '\x7f'}) {
        for (std::size_t at = 0; at < 24; ++at) {
            std::string body(24, 'a');
            body[at] = special;
            std::string text = "\"" + body + "\"";
            CAPTURE(text);
            CHECK(accepted(text) == nlohmann::json::accept(text));
        }
    }
    for (std::size_t n = 0; n < 20; ++n) {
        std::string text = "[\"" + std::string(n, 'x') + "\xc3\xa9\"]";
        CAPTURE(n);
        CHECK(accepted(text));
        CHECK_FALSE(accepted(text.substr(0, text.size() - 2)));  // unterminated
    }
}
