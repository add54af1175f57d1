// An allocation-free, validating JSON scanner for the hot paths: a payload
// line or a received message is checked against RFC 8259 (strings must be
// valid UTF-8 without raw control characters; nesting is bounded) and handed
// back as spans of the input, so bytes that are already right can be passed
// through instead of being parsed into a tree and serialised again.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace rbus::jscan {

enum class Kind { object, array, string, number, boolean, null };

struct Value {
    Kind kind;
    std::string_view text;  // the exact bytes of the value, no surrounding whitespace
};

struct Error {
    const char* what = "";  // a static message, e.g. "unterminated string"
    std::size_t at = 0;     // byte offset in the input
};

// Note for pass-through users: numbers are checked against the grammar only.
// nlohmann refuses 1e400 (out of double range) and re-serialises numbers
// (1.50 → 1.5, big integers → doubles), so bytes passed through can differ
// from what a parse-and-dump path prints for such numbers.
// Validates that `in` holds exactly one JSON value, with optional JSON
// whitespace around it, nested at most max_depth arrays/objects deep.
std::optional<Value> scan(std::string_view in, Error* err = nullptr, int max_depth = 512);

// scan(), and in the same pass whether the value is already in canonical form:
// what nlohmann's parse-then-dump would print (json_canon.h) — no whitespace
// inside it, strings and numbers as nlohmann writes them (is_canonical_string,
// is_canonical_number), no key twice in an object. Such a value can be passed
// through as it is. False also for an object nested deeper than 32 levels
// (arrays count) or past 128 keys in the open objects: the answer is then left
// to append_canonical_json or a parser.
std::optional<Value> scan(std::string_view in, bool& canonical, Error* err = nullptr, int max_depth = 512);

// Offset just past the value starting at `pos` (after any whitespace) in `s`,
// which must be valid JSON (from scan()); no validation is done.
std::size_t skip_value(std::string_view s, std::size_t pos);

// Offset of the first non-whitespace byte at or after pos.
std::size_t skip_ws(std::string_view s, std::size_t pos);

// Kind of the valid value starting at s[pos] (no whitespace before it).
Kind kind_at(std::string_view s, std::size_t pos);

// Calls f(raw_key, value) for each member of a valid object, in order, where
// raw_key is the text between the key's quotes (escapes not decoded). Stops
// and returns false as soon as f returns false; true otherwise.
template <class F>
bool for_each_member(std::string_view object_text, F f) {
    std::size_t i = skip_ws(object_text, 1);  // past '{'
    if (i >= object_text.size() || object_text[i] == '}') return true;
    for (;;) {
        std::size_t key_end = skip_value(object_text, i);
        std::string_view key = object_text.substr(i + 1, key_end - i - 2);
        std::size_t v = skip_ws(object_text, skip_ws(object_text, key_end) + 1);  // past ':'
        std::size_t v_end = skip_value(object_text, v);
        if (!f(key, Value{kind_at(object_text, v), object_text.substr(v, v_end - v)})) return false;
        i = skip_ws(object_text, v_end);
        if (i >= object_text.size() || object_text[i] != ',') return true;
        i = skip_ws(object_text, i + 1);
    }
}

// Decodes a valid string token (with its quotes) into out (appended), turning
// escapes, \uXXXX and surrogate pairs into UTF-8. False if the token is not a
// string or a \u escape names a lone surrogate.
bool decode_string(std::string_view token, std::string& out);

// True when a raw key/string body needs no decoding (no backslash).
inline bool plain(std::string_view raw) { return raw.find('\\') == std::string_view::npos; }

}  // namespace rbus::jscan
