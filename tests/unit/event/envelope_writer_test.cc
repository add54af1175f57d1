#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "event/envelope_writer.h"
#include "base/error.h"
#include "json/json_canon.h"
#include "json/json_scan.h"
#include "event/payload.h"

using namespace rbus;

namespace {

constexpr std::string_view kId = "0b7c2f4e-8a41-4d6b-9f3e-2c5d7a9b1e04";
constexpr std::string_view kWriterTs = "2026-11-26T16:10:30.237319Z";

// What rbus-publish --stdin built before the fast way: parse, Envelope::create, dump.
std::string slow_way(EnvelopeFields f, std::string_view line) {
    f.payload = parse_payload_object(line, "payload");
    f.id = std::string(kId);
    f.timestamp = std::string(kWriterTs);
    return Envelope::create(std::move(f)).dump();
}

EnvelopeFields base() {
    EnvelopeFields f;
    f.type = "agent.task_started";
    return f;
}

// Payloads that the fast way writes itself: each must come out byte for byte as the slow way.
const std::vector<std::string> kTricky = {
    R"({})",
    R"(  { }  )",
    R"({"n":1,"agent_id":"RES-001","status":"ok","text":"benchmark event number 1"})",
    R"({ "a" : [ 1 , 2 , { "b" : null } ] ,	"c" : true , "d" : false })",
    R"({"unicode":"héllo wörld ✓ 😀","cjk":"日本語"})",
    R"({"esc":"\u00e9\u2713\ud83d\ude00","slash":"a\/b","quote":"say \"hi\"","back":"c:\\dir"})",
    R"({"ctl":"\b\f\n\r\t\u0000\u001f\u001F\u007f","low":"\u0041\u0062"})",
    R"({"nested":{"a":{"b":{"c":{"d":[[[[{}]]]]}}}},"empty_a":[],"empty_o":{}})",
    R"({"n":-0,"m":0,"p":-0.0,"q":0.0,"r":1.0,"s":1.50,"t":1e5,"u":1E-7,"v":-2.5e+3,"w":0.1})",
    R"({"big":18446744073709551615,"bigger":18446744073709551616,"neg":-9223372036854775808,)"
    R"("neger":-9223372036854775809,"huge":123456789012345678901234567890})",
    R"({"tiny":1e-400,"sub":4.9e-324,"max":1.7976931348623157e308,"pi":3.141592653589793238462643383279})",
    R"({"k with space":"v","":"empty key","\/":"not a key escape"})",
    R"({"arr":[1,-1,1.5,"s",true,false,null,{"x":[]}]})",
};

}  // namespace

TEST_CASE("EnvelopeWriter: byte for byte what Envelope::create(...).dump() gives") {
    EnvelopeFields fields = base();
    fields.priority = Priority::high;
    fields.request_id = "corr-\"1\"\n";
    fields.workspace_id = "ws-ü";
    EnvelopeWriter writer(fields);
    for (const std::string& line : kTricky) {
        CAPTURE(line);
        std::string fast;
        if (!writer.append(fast, line, kId, kWriterTs)) {
            // Only a key with escapes may leave the fast way ("\/" above).
            CHECK(line.find(R"("\/":)") != std::string::npos);
            continue;
        }
        CHECK(fast == slow_way(fields, line));
    }
}

TEST_CASE("EnvelopeWriter: default fields (nulls, normal) and appending after existing text") {
    EnvelopeWriter writer(base());
    std::string out = "prefix|";
    REQUIRE(writer.append(out, R"({"a":1})", kId, kWriterTs));
    CHECK(out == std::string("prefix|") + slow_way(base(), R"({"a":1})"));
}

TEST_CASE("EnvelopeWriter: what it cannot write is left to Envelope::create, out untouched") {
    EnvelopeWriter writer(base());
    const std::vector<std::string> refused = {
        "", "  ", "[1,2]", "\"s\"", "42", "null", "{bad", R"({"a":1} x)", R"({"a":1e400})", R"({"a":-1e400})",
        R"({"a":1,"a":2})", R"({"\u0061":1,"a":2})", "{\"a\":\"\xff\"}", "{\"a\":\"\x01\"}", R"({"a":"\ud800"})",
        "\xEF\xBB\xBF{}",  // a BOM: nlohmann skips it; the scanner does not
    };
    for (const std::string& line : refused) {
        CAPTURE(line);
        std::string out = "keep";
        CHECK_FALSE(writer.append(out, line, kId, kWriterTs));
        CHECK(out == "keep");
    }
    std::string deep(511, '[');  // the payload object plus 511 levels: one too many
    deep = "{\"a\":" + deep + std::string(511, ']') + "}";
    std::string out;
    CHECK_FALSE(writer.append(out, deep, kId, kWriterTs));
    CHECK_THROWS_AS(slow_way(base(), deep), UsageError);
}

TEST_CASE("EnvelopeWriter: refuses base fields Envelope::create refuses") {
    EnvelopeFields f = base();
    f.type = "NotDotted";
    CHECK_THROWS_AS(EnvelopeWriter{f}, UsageError);
    f = base();
    f.request_id = std::string("\xff");
    CHECK_THROWS_AS(EnvelopeWriter{f}, UsageError);
}

TEST_CASE("append_canonical_json: random JSON texts agree with nlohmann's parse and dump") {
    std::mt19937 rng(12345);
    auto pick = [&](std::initializer_list<const char*> from) {
        return std::string(from.begin()[rng() % from.size()]);
    };
    auto ws = [&] { return pick({"", "", "", " ", "\t", "\n ", "\r\n"}); };
    std::function<std::string(int)> value = [&](int depth) -> std::string {
        switch (rng() % (depth > 3 ? 3 : 5)) {
            case 0:
                return pick({"0", "-0", "7", "-12", "1.0", "2.50", "1e3", "1E+2", "-3.25e-2", "0.1", "100000000000000000000",
                             "-9223372036854775808", "18446744073709551615", "18446744073709551616", "1e-400",
                             "123456789.123456789"});
            case 1:
                return pick({"true", "false", "null"});
            case 2:
                return pick({R"("")", R"("plain")", R"("\"q\"")", R"("\u00e9t\u00C9")", R"("\/\\\b\f\n\r\t")",
                             R"("\u0000\u001f\u007f")", R"("😀 \ud83d\ude00")", R"("tab\there")"});
            case 3: {
                std::string s = "[" + ws();
                int n = static_cast<int>(rng() % 4);
                for (int i = 0; i < n; ++i) s += (i ? "," + ws() : "") + value(depth + 1) + ws();
                return s + "]";
            }
            default: {
                std::string s = "{" + ws();
                int n = static_cast<int>(rng() % 5);
                for (int i = 0; i < n; ++i)
                    s += (i ? "," + ws() : "") + "\"k" + std::to_string(rng() % 6) + "\"" + ws() + ":" + ws() +
                         value(depth + 1) + ws();
                return s + "}";
            }
        }
    };
    int written = 0, passed_through = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string text = ws() + value(0) + ws();
        CAPTURE(text);
        REQUIRE(jscan::scan(text));
        std::string out;
        Json parsed = Json::parse(text, nullptr, false);
        bool canonical = false;
        auto scanned = jscan::scan(text, canonical);
        REQUIRE(scanned);
        if (canonical) {  // passed through as it is: it must be what a parse and dump prints
            ++passed_through;
            CHECK(scanned->text == parsed.dump(-1, ' ', false, Json::error_handler_t::replace));
        }
        if (!append_canonical_json(out, text)) continue;  // duplicates, 1e-400's neighbours in range...
        ++written;
        REQUIRE_FALSE(parsed.is_discarded());
        CHECK(out == parsed.dump(-1, ' ', false, Json::error_handler_t::replace));
    }
    CHECK(written > 1500);
    CHECK(passed_through > 300);
}
