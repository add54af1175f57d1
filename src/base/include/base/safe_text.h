// Text from the bus, a server or a file, made safe for where it goes: a
// terminal (no escape sequences, no bidi tricks), a JSON document (valid UTF-8
// whatever the bytes), one line of a template. Every escape is one-to-one: two
// different names never come out as the same text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace rbus {

struct Utf8Char {
    char32_t cp = 0;
    std::size_t len = 1;
    bool valid = false;
};

// One UTF-8 sequence at s[i] (strict: no overlongs, surrogates or > U+10FFFF);
// an invalid byte is {0, 1, false}.
Utf8Char decode_utf8(std::string_view s, std::size_t i);

// Code points that change what a person sees without being seen: C0 controls,
// DEL, C1 controls (U+0080..U+009F, among them the one-byte CSI), the bidi
// embeddings, overrides, isolates and marks (U+202A..U+202E, U+2066..U+2069,
// U+200E, U+200F, U+061C) and the line and paragraph separators U+2028, U+2029.
bool is_hidden_control(char32_t cp);

// For a terminal: hidden controls as \uXXXX, bytes that are not UTF-8 as \xNN,
// everything else as it is. An event cannot drive the reader's terminal.
std::string terminal_safe(std::string_view text);
// terminal_safe(text) appended to out (the same bytes): runs of printable ASCII
// are found eight bytes at a time and copied whole.
void append_terminal_safe(std::string& out, std::string_view text);

// How many bytes at the start of text are printable ASCII (0x20..0x7E): the
// part that every escape above leaves as it is.
std::size_t printable_ascii_prefix(std::string_view text);

// For a JSON document: valid UTF-8 as it is, each byte that is not UTF-8 as the
// four characters \xNN (never U+FFFD: two names must not become one).
std::string lossless_utf8(std::string_view text);

// A copy of the JSON value whose keys and strings went through lossless_utf8.
nlohmann::json lossless_json(const nlohmann::json& value);
nlohmann::ordered_json lossless_json(const nlohmann::ordered_json& value);

// Dumped JSON (valid UTF-8) with hidden controls written as \uXXXX: the same
// JSON value, harmless on a terminal. Controls below U+0020 are already escaped
// in dumped JSON; this handles DEL, C1 and the bidi characters.
std::string json_terminal_safe(std::string_view dumped);

// One --format template field: the inside of a JSON string (\\ \n \t \r \b \f,
// other hidden controls as \uXXXX, bytes that are not UTF-8 as \xNN), so that
// a field never adds a line or a column to the template's own layout.
void append_template_escaped(std::string& out, std::string_view text);

}  // namespace rbus
