#include "payload.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <fmt/format.h>

#include "error.h"
#include "named_file.h"

namespace rbus {

std::string read_text_file(const std::string& path) {
    if (path == "-") {
        std::string s((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
        return s;
    }
    return read_named_file(path, "file");
}

std::string_view json_kind(const Json& v) {
    switch (v.type()) {
        case Json::value_t::object: return "object";
        case Json::value_t::array: return "array";
        case Json::value_t::string: return "string";
        case Json::value_t::boolean: return "boolean";
        case Json::value_t::null: return "null";
        case Json::value_t::discarded: return "invalid";
        default: return "number";
    }
}

namespace {

// JSON for user-given text: no exceptions, a bounded nesting depth.
Json parse_json_text(std::string_view text, std::string_view what) {
    if (json_depth(text) > kMaxJsonDepth)
        throw UsageError(fmt::format("{}: JSON nested too deeply (more than {} levels)", what, kMaxJsonDepth));
    // The JSON parser stops at a NUL as at the end of the text: `{...}\0junk` must not pass.
    if (std::size_t nul = text.find('\0'); nul != std::string_view::npos)
        throw UsageError(fmt::format("{}: invalid JSON: a NUL byte at byte {}", what, nul));
    Json v = Json::parse(text.begin(), text.end(), nullptr, false);
    if (v.is_discarded()) throw UsageError(fmt::format("{}: invalid JSON", what));
    return v;
}

struct ItemPath {
    std::vector<std::string> keys;  // "" at the end means append ([])
};

// "a[b][c]" → a, b, c; "tags[]" → tags, "". Backslash escapes a bracket.
ItemPath parse_item_key(std::string_view key, std::string_view item) {
    ItemPath p;
    std::string cur;
    std::size_t i = 0;
    auto bad = [&](const char* why) {
        return UsageError(fmt::format("invalid item \"{}\": {}", item, why));
    };
    while (i < key.size() && key[i] != '[') {
        if (key[i] == '\\' && i + 1 < key.size()) ++i;
        cur += key[i++];
    }
    if (cur.empty()) throw bad("empty key");
    p.keys.push_back(cur);
    while (i < key.size()) {
        if (key[i] != '[') throw bad("expected [ in key path");
        std::size_t close = key.find(']', i);
        if (close == std::string_view::npos) throw bad("unclosed [ in key path");
        std::string part(key.substr(i + 1, close - i - 1));
        if (part.empty() && close + 1 != key.size()) throw bad("[] may only end a key path");
        p.keys.push_back(part);
        i = close + 1;
    }
    return p;
}

void assign_path(Json& root, const ItemPath& path, Json value, std::string_view item) {
    Json* node = &root;
    for (std::size_t k = 0; k < path.keys.size(); ++k) {
        const std::string& key = path.keys[k];
        bool last = k + 1 == path.keys.size();
        bool append_next = !last && path.keys[k + 1].empty();
        if (key.empty()) {  // tags[] = value
            if (!node->is_array()) {
                if (!node->is_null())
                    throw UsageError(fmt::format("invalid item \"{}\": not an array", item));
                *node = Json::array();
            }
            node->push_back(std::move(value));
            return;
        }
        if (!node->is_object())
            throw UsageError(fmt::format("invalid item \"{}\": \"{}\" is inside a value that is not an object",
                                         item, key));
        if (last) {
            (*node)[key] = std::move(value);
            return;
        }
        Json& child = (*node)[key];
        if (child.is_null()) child = append_next ? Json::array() : Json::object();
        node = &child;
    }
}

}  // namespace

Json parse_payload_object(std::string_view text, std::string_view what) {
    Json v = parse_json_text(text, what);
    if (!v.is_object())
        throw UsageError(fmt::format("payload must be a JSON object (got {})", json_kind(v)));
    return v;
}

void apply_item(Json& obj, std::string_view item, const FileReader& read_file) {
    // The first unescaped '=' separates the key; ':=' makes the value JSON.
    std::size_t eq = std::string_view::npos;
    for (std::size_t i = 0; i < item.size(); ++i) {
        if (item[i] == '\\') {
            ++i;
            continue;
        }
        if (item[i] == '=') {
            eq = i;
            break;
        }
    }
    if (eq == std::string_view::npos)
        throw UsageError(fmt::format(
            "invalid item \"{}\": expected key=value, key:=json, key=@file or key:=@file.json", item));
    bool raw_json = eq > 0 && item[eq - 1] == ':';
    std::string_view key = item.substr(0, raw_json ? eq - 1 : eq);
    std::string_view value = item.substr(eq + 1);
    bool from_file = !value.empty() && value[0] == '@';
    std::string text = from_file ? read_file(std::string(value.substr(1))) : std::string(value);
    Json v;
    if (raw_json) {
        v = parse_json_text(text, fmt::format("item \"{}\"", item));
    } else {
        if (from_file) {
            while (!text.empty() && text.back() == '\n') text.pop_back();
        }
        v = text;
    }
    assign_path(obj, parse_item_key(key, item), std::move(v), item);
}

Json payload_from_args(const std::vector<std::string>& args, const FileReader& read_file) {
    if (args.empty()) return Json::object();
    if (args.size() == 1) {
        const std::string& a = args[0];
        if (a == "-") return parse_payload_object(read_file("-"), "payload from stdin");
        if (!a.empty() && a[0] == '@') return parse_payload_object(read_file(a.substr(1)), fmt::format("payload {}", a));
        std::size_t first = a.find_first_not_of(" \t\r\n");
        if (first != std::string::npos && (a[first] == '{' || a[first] == '['))
            return parse_payload_object(a, "payload");
        if (a.find('=') == std::string::npos) {
            // A lone JSON scalar gets the payload message, anything else the item one.
            Json v = Json::parse(a, nullptr, false);
            if (!v.is_discarded())
                throw UsageError(fmt::format("payload must be a JSON object (got {})", json_kind(v)));
        }
    }
    Json obj = Json::object();
    for (const std::string& a : args) apply_item(obj, a, read_file);
    return obj;
}

}  // namespace rbus
