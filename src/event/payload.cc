#include "event/payload.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/error.h"
#include "base/named_file.h"
#include "base/signals.h"
#include "base/text.h"

namespace rbus {

std::string read_text_file(const std::string& path) {
    if (path != "-") return read_named_file(path, "file");
    // Standard input read here, so that Ctrl-C while it waits is an interruption (130), not bad input.
    std::string text;
    char buf[64 * 1024];
    for (;;) {
        ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n > 0) {
            text.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0) break;
        if (errno == EINTR) {
            throw_if_interrupted();
            continue;
        }
        throw UsageError(fmt::format("cannot read standard input: {}", std::strerror(errno)));
    }
    throw_if_interrupted();
    return text;
}

bool args_read_stdin(const std::vector<std::string>& args) {
    for (const std::string& a : args)
        if (a == "-" || (a.size() >= 2 && a.compare(a.size() - 2, 2, "@-") == 0)) return true;
    return false;
}

bool stdin_has_waiting_data() {
    struct stat st {};
    if (::fstat(STDIN_FILENO, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) return false;
    int n = 0;
    return ::ioctl(STDIN_FILENO, FIONREAD, &n) == 0 && n > 0;
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

std::string describe_json_error(std::string_view what, std::size_t byte) {
    // nlohmann: "[json.exception.parse_error.101] parse error at line 1, column 9: syntax error while
    // parsing value - invalid literal; last read: '{"a":x'"; keep the reason, drop its own position.
    std::string_view reason = what;
    if (std::size_t colon = reason.find(": "); colon != std::string_view::npos) reason = reason.substr(colon + 2);
    for (std::string_view head : {"syntax error while parsing value - ", "syntax error while parsing object - ",
                                  "syntax error while parsing array - ", "syntax error while parsing object key - ",
                                  "syntax error while parsing object separator - "})
        if (reason.rfind(head, 0) == 0) reason = reason.substr(head.size());
    if (std::size_t last = reason.find("; last read:"); last != std::string_view::npos) {
        std::string_view rest = reason.substr(last);
        reason = reason.substr(0, last);
        // "…; expected end of input" and the like say what would have fitted.
        if (std::size_t exp = rest.find("; expected"); exp != std::string_view::npos)
            return fmt::format("invalid JSON at byte {}: {}{}", byte, escape_controls(reason),
                               escape_controls(rest.substr(exp)));
    }
    return fmt::format("invalid JSON at byte {}: {}", byte, escape_controls(reason));
}

namespace {

// JSON for user-given text: a bounded nesting depth, errors with their byte.
Json parse_json_text(std::string_view text, std::string_view what) {
    if (json_depth(text) > kMaxJsonDepth)
        throw UsageError(fmt::format("{}: JSON nested too deeply (more than {} levels)", what, kMaxJsonDepth));
    // The JSON parser stops at a NUL as at the end of the text: `{...}\0junk` must not pass.
    if (std::size_t nul = text.find('\0'); nul != std::string_view::npos)
        throw UsageError(fmt::format("{}: invalid JSON: a NUL byte at byte {}", what, nul));
    try {
        return Json::parse(text.begin(), text.end());
    } catch (const Json::parse_error& e) {
        throw UsageError(fmt::format("{}: {}", what, describe_json_error(e.what(), e.byte)));
    } catch (const Json::out_of_range&) {  // a number beyond a double (1e999): nlohmann's 406
        throw UsageError(fmt::format("{}: invalid JSON: a number out of range", what));
    }
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

namespace {

// A whole payload (JSON object, @FILE, -), as opposed to an item.
bool is_whole_payload(const std::string& a) {
    std::size_t first = a.find_first_not_of(" \t\r\n");
    return a == "-" || (!a.empty() && a[0] == '@') || (first != std::string::npos && (a[first] == '{' || a[first] == '['));
}

}  // namespace

Json payload_from_args(const std::vector<std::string>& args, const FileReader& read_file) {
    if (args.empty()) return Json::object();
    // One whole payload alone, or items: say which argument is out of place.
    for (std::size_t i = 0; i < args.size() && args.size() > 1; ++i) {
        if (!is_whole_payload(args[i])) continue;
        auto shown = [](const std::string& a) {
            return escape_controls(a.size() > 40 ? a.substr(0, 40) + "..." : a);
        };
        std::string what = i == 0 ? fmt::format("misplaced \"{}\" after the payload \"{}\"", shown(args[1]), shown(args[0]))
                                  : fmt::format("misplaced payload \"{}\" after \"{}\"", shown(args[i]), shown(args[0]));
        throw UsageError(what + ": give one JSON object, @FILE or -, or items (key=value ...), not both");
    }
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
