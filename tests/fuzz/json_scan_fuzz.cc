// libFuzzer target: the validating JSON scanner. Whatever the bytes, scan()
// never reads out of bounds; what it accepts nlohmann accepts too (except
// numbers out of double range), and the span helpers agree with the scan.
// What it calls canonical is exactly what nlohmann's parse and dump print.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "json/json_scan.h"

using namespace rbus;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    jscan::Error err;
    std::optional<jscan::Value> v = jscan::scan(in, &err, 64);
    if (!v) {
        if (err.at > in.size()) std::abort();
        return 0;
    }
    if (v->text.data() < in.data() || v->text.data() + v->text.size() > in.data() + in.size()) std::abort();
    if (jscan::kind_at(v->text, 0) != v->kind) std::abort();
    if (jscan::skip_value(v->text, 0) != v->text.size()) std::abort();
    bool canonical = false;
    std::optional<jscan::Value> again = jscan::scan(in, canonical, nullptr, 64);
    if (!again || again->text != v->text) std::abort();  // tracking the form changes nothing else
    try {
        auto parsed = nlohmann::ordered_json::parse(v->text);
        // What scan() calls canonical is passed through: it must be what a parse and dump prints.
        if (canonical && parsed.dump() != v->text) std::abort();
    } catch (const nlohmann::json::exception& e) {
        // Only a number out of double range may be refused by nlohmann.
        if (std::string_view(e.what()).find("number overflow") == std::string_view::npos) std::abort();
        if (canonical) std::abort();
    }
    if (v->kind == jscan::Kind::string) {
        std::string decoded;
        (void)jscan::decode_string(v->text, decoded);
    }
    if (v->kind == jscan::Kind::object) {
        std::string key;
        jscan::for_each_member(v->text, [&](std::string_view raw_key, const jscan::Value& member) {
            key.clear();
            (void)jscan::decode_string("\"" + std::string(raw_key) + "\"", key);
            return jscan::skip_value(member.text, 0) == member.text.size();
        });
    }
    return 0;
}
